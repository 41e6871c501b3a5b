#ifndef PTUNE_COMMON_VERSION_H_
#define PTUNE_COMMON_VERSION_H_

namespace ptune {

// The project version ("0.1.0"), shown by every binary's --version and sent by workers
// when they register.
const char* Version();

}  // namespace ptune

#endif  // PTUNE_COMMON_VERSION_H_
