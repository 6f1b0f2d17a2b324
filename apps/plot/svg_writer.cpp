#include "apps/plot/svg_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "apps/plot/png.h"
#include "apps/plot/stroke_font.h"

namespace amor::plot {

namespace {

// Shortest decimal with at most 2 decimals (coordinates in points: 1/100 pt is invisible).
std::string num(double v) {
  if (!std::isfinite(v)) v = 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::string hex(const Color& c) {
  auto byte = [](float v) { return static_cast<int>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", byte(c.r), byte(c.g), byte(c.b));
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        // Control characters are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') out += ' ';
        else out += c;
    }
  }
  return out;
}

std::string path_data(const Path& path) {
  std::string d;
  for (const Path::Part& part : path.parts) {
    for (size_t i = 0; i < part.points.size(); ++i) {
      d += i == 0 ? 'M' : 'L';
      d += num(part.points[i].x);
      d += ' ';
      d += num(part.points[i].y);
    }
    if (part.closed) d += "Z";
  }
  return d;
}

std::string base64(const std::vector<uint8_t>& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint32_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

std::string opacity_attr(const char* name, float a) {
  return a < 1.0f ? std::string(" ") + name + "=\"" + num(a) + "\"" : std::string();
}

}  // namespace

std::string to_svg(const Figure& fig) {
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
      << "version=\"1.1\" width=\"" << num(fig.width()) << "pt\" height=\"" << num(fig.height())
      << "pt\" viewBox=\"0 0 " << num(fig.width()) << " " << num(fig.height()) << "\">\n";
  out << "<rect x=\"0\" y=\"0\" width=\"" << num(fig.width()) << "\" height=\""
      << num(fig.height()) << "\" fill=\"" << hex(fig.background()) << "\""
      << opacity_attr("fill-opacity", fig.background().a) << "/>\n";
  out << "<g font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" stroke-linejoin=\"round\">\n";
  int clip_id = 0;
  bool clipped = false;
  for (const Figure::Command& cmd : fig.commands()) {
    if (const auto* f = std::get_if<Figure::FillCmd>(&cmd)) {
      out << "<path d=\"" << path_data(f->path) << "\" fill=\"" << hex(f->color) << "\""
          << opacity_attr("fill-opacity", f->color.a) << " stroke=\"none\"/>\n";
    } else if (const auto* st = std::get_if<Figure::StrokeCmd>(&cmd)) {
      const Stroke& s = st->stroke;
      out << "<path d=\"" << path_data(st->path) << "\" fill=\"none\" stroke=\"" << hex(s.color)
          << "\" stroke-width=\"" << num(s.width) << "\""
          << opacity_attr("stroke-opacity", s.color.a)
          << (s.cap == LineCap::Round ? " stroke-linecap=\"round\"" : "");
      if (!s.dash.empty()) {
        out << " stroke-dasharray=\"";
        for (size_t i = 0; i < s.dash.size(); ++i) out << (i ? "," : "") << num(s.dash[i]);
        out << "\"";
      }
      out << "/>\n";
    } else if (const auto* t = std::get_if<Figure::TextCmd>(&cmd)) {
      const TextStyle& ts = t->style;
      double dy = 0;  // baseline shift, computed like the raster renderer does
      if (ts.valign == VAlign::Top) dy = StrokeFont::kCapHeightEm * ts.size;
      if (ts.valign == VAlign::Middle) dy = 0.5 * StrokeFont::kCapHeightEm * ts.size;
      if (ts.valign == VAlign::Bottom) dy = -StrokeFont::kDescentEm * ts.size;
      const char* anchor = ts.halign == HAlign::Left ? "start"
                           : ts.halign == HAlign::Center ? "middle" : "end";
      out << "<text transform=\"translate(" << num(t->at.x) << " " << num(t->at.y) << ")";
      if (ts.angle_deg != 0) out << " rotate(" << num(-ts.angle_deg) << ")";
      out << "\" x=\"0\" y=\"" << num(dy) << "\" font-size=\"" << num(ts.size)
          << "\" text-anchor=\"" << anchor << "\" fill=\"" << hex(ts.color) << "\""
          << opacity_attr("fill-opacity", ts.color.a) << ">" << escape(t->text) << "</text>\n";
    } else if (const auto* im = std::get_if<Figure::ImageCmd>(&cmd)) {
      const Image& img = im->image;
      RgbaImage raw{img.cols, img.rows, std::vector<uint8_t>(img.pixels.size() * 4)};
      for (size_t i = 0; i < img.pixels.size(); ++i) {
        const Color& c = img.pixels[i];
        const float v[4] = {c.r, c.g, c.b, c.a};
        for (size_t k = 0; k < 4; ++k)
          raw.rgba[i * 4 + k] = static_cast<uint8_t>(std::lround(std::clamp(v[k], 0.0f, 1.0f) * 255.0f));
      }
      out << "<image x=\"" << num(img.dest.x) << "\" y=\"" << num(img.dest.y) << "\" width=\""
          << num(img.dest.w) << "\" height=\"" << num(img.dest.h)
          << "\" preserveAspectRatio=\"none\""
          << (img.smooth ? "" : " style=\"image-rendering:pixelated\"")
          << " xlink:href=\"data:image/png;base64," << base64(encode_png(raw)) << "\"/>\n";
    } else if (const auto* c = std::get_if<Figure::ClipCmd>(&cmd)) {
      if (clipped) out << "</g>\n";
      ++clip_id;
      out << "<clipPath id=\"clip" << clip_id << "\"><rect x=\"" << num(c->rect.x) << "\" y=\""
          << num(c->rect.y) << "\" width=\"" << num(c->rect.w) << "\" height=\""
          << num(c->rect.h) << "\"/></clipPath>\n<g clip-path=\"url(#clip" << clip_id << ")\">\n";
      clipped = true;
    } else {
      if (clipped) out << "</g>\n";
      clipped = false;
    }
  }
  if (clipped) out << "</g>\n";
  out << "</g>\n</svg>\n";
  return out.str();
}

}  // namespace amor::plot
