#ifndef PTUNE_CLIENT_PLOT_SVG_WRITER_H_
#define PTUNE_CLIENT_PLOT_SVG_WRITER_H_

#include <string>
#include <utility>
#include <vector>

namespace ptune::client {

// A minimal SVG 1.1 document builder: elements are appended in drawing order and every
// attribute and text is XML-escaped, so the output is always well-formed.
class SvgWriter {
 public:
  SvgWriter(double width, double height);

  // Opens a <g> with the given id (empty: none) and class; must be closed by EndGroup.
  void BeginGroup(const std::string& id, const std::string& css_class = "",
                  const std::vector<std::pair<std::string, std::string>>& data = {});
  void EndGroup();
  void Rect(double x, double y, double w, double h, const std::string& fill,
            const std::string& stroke = "none");
  void Line(double x1, double y1, double x2, double y2, const std::string& stroke, double width = 1,
            const std::string& dash = "");
  // Connected line through `points`; nothing for fewer than one point.
  void Polyline(const std::vector<std::pair<double, double>>& points, const std::string& stroke,
                double width = 1.5);
  void Circle(double cx, double cy, double r, const std::string& fill);
  // anchor: "start", "middle" or "end"; rotate: degrees about (x, y).
  void Text(double x, double y, const std::string& text, double size = 12,
            const std::string& anchor = "start", const std::string& fill = "#222",
            double rotate = 0);

  // The complete document (closes any group left open).
  std::string Finish();

 private:
  std::string body_;
  int open_groups_ = 0;
  double width_;
  double height_;
};

// Escapes &, <, >, " and ' for XML text and attribute values.
std::string XmlEscape(const std::string& text);

}  // namespace ptune::client

#endif  // PTUNE_CLIENT_PLOT_SVG_WRITER_H_
