#include "common/version.h"

namespace ptune {

const char* Version() { return PTUNE_VERSION; }

}  // namespace ptune
