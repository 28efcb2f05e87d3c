#include "pd/core/addr.h"

#include <cstdio>

#include "pd/core/fnv.h"

namespace pd {

std::string AddrHash::to_string() const {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx:%016llx", (unsigned long long)path_hash(),
                (unsigned long long)generation());
  return buf;
}

const char* to_string(PathError e) {
  switch (e) {
    case PathError::Empty: return "Empty";
    case PathError::MustStartWithSlash: return "MustStartWithSlash";
    case PathError::TrailingSlash: return "TrailingSlash";
    case PathError::EmptySegment: return "EmptySegment";
    case PathError::InvalidSegment: return "InvalidSegment";
  }
  return "?";
}

bool ActorPath::valid_segment(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == ':';
    if (!ok) return false;
  }
  return true;
}

Expected<ActorPath, PathError> ActorPath::parse(std::string_view text) {
  if (text.empty()) return Unexpected{PathError::Empty};
  if (text.front() != '/') return Unexpected{PathError::MustStartWithSlash};
  if (text == "/") return ActorPath(std::string(text));
  if (text.back() == '/') return Unexpected{PathError::TrailingSlash};
  size_t pos = 1;
  while (pos <= text.size()) {
    size_t next = text.find('/', pos);
    if (next == std::string_view::npos) next = text.size();
    std::string_view seg = text.substr(pos, next - pos);
    if (seg.empty()) return Unexpected{PathError::EmptySegment};
    if (!valid_segment(seg)) return Unexpected{PathError::InvalidSegment};
    pos = next + 1;
  }
  return ActorPath(std::string(text));
}

uint64_t ActorPath::fnv1a_of_path(std::string_view path) {
  return fnv1a64(path);
}

ActorPath ActorPath::child(std::string_view segment) const {
  PD_ASSERT(valid_segment(segment), "child() needs a valid segment");
  std::string s = text_;
  if (s != "/") s += '/';
  s += segment;
  return ActorPath(std::move(s));
}

ActorPath ActorPath::parent() const {
  if (is_root()) return *this;
  size_t cut = text_.rfind('/');
  return ActorPath(cut == 0 ? std::string("/") : text_.substr(0, cut));
}

std::string_view ActorPath::name() const {
  if (is_root()) return {};
  return std::string_view(text_).substr(text_.rfind('/') + 1);
}

bool ActorPath::starts_with(const ActorPath& prefix) const {
  if (prefix.is_root()) return true;
  if (text_.size() < prefix.text_.size()) return false;
  if (text_.compare(0, prefix.text_.size(), prefix.text_) != 0) return false;
  return text_.size() == prefix.text_.size() || text_[prefix.text_.size()] == '/';
}

}  // namespace pd
