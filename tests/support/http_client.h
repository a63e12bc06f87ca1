#pragma once
// A plain HTTP/1.1 client for the tests that call certpath as a partner's
// program would (Boost.Beast, one exchange per connection).

#include <map>
#include <string>

namespace certpath::testing {

struct Reply {
  int status = 0;  // 0: no answer (connection refused, reset, …)
  std::string body;
  std::map<std::string, std::string> headers;
};

// One HTTP/1.1 exchange on a fresh connection to 127.0.0.1:`port`.
Reply Http(int port, const std::string& method, const std::string& target,
           const std::map<std::string, std::string>& headers = {}, const std::string& body = "");

// `request` as written, and everything the server sends until it closes
// the connection (or 10 s pass): for what a parser would hide.
std::string RawHttp(int port, const std::string& request);

// The string value of "field" in a JSON text (the first one; compact or pretty-printed).
std::string JsonField(const std::string& json, const std::string& field);

}  // namespace certpath::testing
