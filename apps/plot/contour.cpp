#include "apps/plot/contour.h"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace amor::plot {

std::vector<std::vector<Point>> contour_lines(const Grid& g, double level) {
  // The lattice of cell centres padded by one ring of zeros: lattice point (a, b), a in
  // [0, nx + 1], is cell (a - 1, b - 1).
  const int W = g.nx + 2, H = g.ny + 2;
  auto value = [&](int a, int b) {
    const int i = a - 1, j = b - 1;
    return (i < 0 || j < 0 || i >= g.nx || j >= g.ny) ? 0.0 : g.at(i, j);
  };
  // Lattice edges: 2 * (b * W + a) is the edge (a, b)-(a + 1, b), that + 1 the edge
  // (a, b)-(a, b + 1).
  std::unordered_map<long, Point> crossing;
  auto edge_point = [&](int a0, int b0, int a1, int b1) -> long {
    const long id = 2L * (static_cast<long>(b0) * W + a0) + (b1 != b0 ? 1 : 0);
    if (!crossing.count(id)) {
      const double v0 = value(a0, b0), v1 = value(a1, b1);
      const double t = (v1 == v0) ? 0.5 : (level - v0) / (v1 - v0);
      crossing[id] = {a0 + t * (a1 - a0) - 0.5, b0 + t * (b1 - b0) - 0.5};
    }
    return id;
  };
  std::vector<std::array<long, 2>> segments;
  for (int b = 0; b + 1 < H; ++b)
    for (int a = 0; a + 1 < W; ++a) {
      const double v[4] = {value(a, b), value(a + 1, b), value(a + 1, b + 1), value(a, b + 1)};
      const bool in[4] = {v[0] >= level, v[1] >= level, v[2] >= level, v[3] >= level};
      // Edges of the cell: 0 bottom, 1 right, 2 top, 3 left; edge k joins corners k and k+1.
      const bool cut[4] = {in[0] != in[1], in[1] != in[2], in[2] != in[3], in[3] != in[0]};
      const int ncut = cut[0] + cut[1] + cut[2] + cut[3];
      if (ncut == 0) continue;
      auto edge_id = [&](int e) {
        switch (e) {
          case 0: return edge_point(a, b, a + 1, b);
          case 1: return edge_point(a + 1, b, a + 1, b + 1);
          case 2: return edge_point(a, b + 1, a + 1, b + 1);
          default: return edge_point(a, b, a, b + 1);
        }
      };
      if (ncut == 2) {
        long ids[2];
        int k = 0;
        for (int e = 0; e < 4; ++e)
          if (cut[e]) ids[k++] = edge_id(e);
        segments.push_back({ids[0], ids[1]});
      } else {
        // Saddle: cut off the two corners on the other side than the cell centre.
        const bool centre_in = (v[0] + v[1] + v[2] + v[3]) / 4.0 >= level;
        for (int c = 0; c < 4; ++c)
          if (in[c] != centre_in) segments.push_back({edge_id((c + 3) % 4), edge_id(c)});
      }
    }

  // Chain the segments through their shared crossings.
  std::unordered_map<long, std::vector<size_t>> at_edge;
  for (size_t s = 0; s < segments.size(); ++s)
    for (long id : segments[s]) at_edge[id].push_back(s);
  std::vector<bool> used(segments.size(), false);
  std::vector<std::vector<Point>> lines;
  for (size_t start = 0; start < segments.size(); ++start) {
    if (used[start]) continue;
    used[start] = true;
    std::vector<long> chain{segments[start][0], segments[start][1]};
    // Extend forward from the back, then backward from the front.
    for (int dir = 0; dir < 2; ++dir) {
      while (true) {
        const long tip = chain.back();
        size_t next = segments.size();
        for (size_t s : at_edge[tip])
          if (!used[s]) { next = s; break; }
        if (next == segments.size()) break;
        used[next] = true;
        chain.push_back(segments[next][0] == tip ? segments[next][1] : segments[next][0]);
      }
      std::reverse(chain.begin(), chain.end());
    }
    std::vector<Point> pts;
    pts.reserve(chain.size());
    for (long id : chain) pts.push_back(crossing[id]);
    lines.push_back(std::move(pts));
  }
  return lines;
}

}  // namespace amor::plot
