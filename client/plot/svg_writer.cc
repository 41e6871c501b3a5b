#include "client/plot/svg_writer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ptune::client {

namespace {

// Coordinates with two decimals: plenty on screen and in print, and short files.
std::string N(double v) { return absl::StrFormat("%.2f", v); }

}  // namespace

std::string XmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n') out.push_back(c);
    }
  }
  return out;
}

SvgWriter::SvgWriter(double width, double height) : width_(width), height_(height) {}

void SvgWriter::BeginGroup(const std::string& id, const std::string& css_class,
                           const std::vector<std::pair<std::string, std::string>>& data) {
  absl::StrAppend(&body_, "<g");
  if (!id.empty()) absl::StrAppend(&body_, " id=\"", XmlEscape(id), "\"");
  if (!css_class.empty()) absl::StrAppend(&body_, " class=\"", XmlEscape(css_class), "\"");
  for (const auto& [key, value] : data) {
    absl::StrAppend(&body_, " data-", XmlEscape(key), "=\"", XmlEscape(value), "\"");
  }
  absl::StrAppend(&body_, ">\n");
  ++open_groups_;
}

void SvgWriter::EndGroup() {
  if (open_groups_ == 0) return;
  absl::StrAppend(&body_, "</g>\n");
  --open_groups_;
}

void SvgWriter::Rect(double x, double y, double w, double h, const std::string& fill,
                     const std::string& stroke) {
  absl::StrAppend(&body_, "<rect x=\"", N(x), "\" y=\"", N(y), "\" width=\"", N(w), "\" height=\"",
                  N(h), "\" fill=\"", XmlEscape(fill), "\" stroke=\"", XmlEscape(stroke), "\"/>\n");
}

void SvgWriter::Line(double x1, double y1, double x2, double y2, const std::string& stroke,
                     double width, const std::string& dash) {
  absl::StrAppend(&body_, "<line x1=\"", N(x1), "\" y1=\"", N(y1), "\" x2=\"", N(x2), "\" y2=\"",
                  N(y2), "\" stroke=\"", XmlEscape(stroke), "\" stroke-width=\"", N(width), "\"");
  if (!dash.empty()) absl::StrAppend(&body_, " stroke-dasharray=\"", XmlEscape(dash), "\"");
  absl::StrAppend(&body_, "/>\n");
}

void SvgWriter::Polyline(const std::vector<std::pair<double, double>>& points,
                         const std::string& stroke, double width) {
  if (points.empty()) return;
  std::string coords;
  for (const auto& [x, y] : points)
    absl::StrAppend(&coords, coords.empty() ? "" : " ", N(x), ",", N(y));
  absl::StrAppend(&body_, "<polyline fill=\"none\" stroke=\"", XmlEscape(stroke),
                  "\" stroke-width=\"", N(width), "\" stroke-linejoin=\"round\" points=\"", coords,
                  "\"/>\n");
}

void SvgWriter::Circle(double cx, double cy, double r, const std::string& fill) {
  absl::StrAppend(&body_, "<circle cx=\"", N(cx), "\" cy=\"", N(cy), "\" r=\"", N(r), "\" fill=\"",
                  XmlEscape(fill), "\"/>\n");
}

void SvgWriter::Text(double x, double y, const std::string& text, double size,
                     const std::string& anchor, const std::string& fill, double rotate) {
  absl::StrAppend(&body_, "<text x=\"", N(x), "\" y=\"", N(y), "\" font-size=\"", N(size),
                  "\" text-anchor=\"", XmlEscape(anchor), "\" fill=\"", XmlEscape(fill), "\"");
  if (rotate != 0) {
    absl::StrAppend(&body_, " transform=\"rotate(", N(rotate), " ", N(x), " ", N(y), ")\"");
  }
  absl::StrAppend(&body_, ">", XmlEscape(text), "</text>\n");
}

std::string SvgWriter::Finish() {
  while (open_groups_ > 0) EndGroup();
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" ",
      "version=\"1.1\" width=\"", N(width_), "\" height=\"", N(height_), "\" viewBox=\"0 0 ",
      N(width_), " ", N(height_), "\" font-family=\"Helvetica, Arial, sans-serif\">\n",
      "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"white\"/>\n", body_, "</svg>\n");
}

}  // namespace ptune::client
