#include "tests/support/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace certpath::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Reply Http(int port, const std::string& method, const std::string& target,
           const std::map<std::string, std::string>& headers, const std::string& body) {
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.connect(resolver.resolve("127.0.0.1", std::to_string(port)), ec);
  if (ec) return {};
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req, ec);  // the server may answer (413) and close before it all went
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  parser.skip(method == "HEAD");  // its Content-Length announces a body that never comes
  http::read(stream, buffer, parser, ec);
  Reply out;
  if (ec) return out;
  const auto& res = parser.get();
  out.status = res.result_int();
  out.body = res.body();
  for (const auto& f : res) {
    out.headers[std::string(f.name_string().data(), f.name_string().size())] =
        std::string(f.value().data(), f.value().size());
  }
  return out;
}

std::string RawHttp(int port, const std::string& request) {
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.connect(resolver.resolve("127.0.0.1", std::to_string(port)), ec);
  if (ec) return "";
  asio::write(stream, asio::buffer(request), ec);
  std::string out;
  char buf[4096];
  stream.expires_after(std::chrono::seconds(10));
  for (;;) {
    size_t n = stream.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;  // EOF, or the timeout
  }
  return out;
}

std::string JsonField(const std::string& json, const std::string& field) {
  std::string marker = "\"" + field + "\":";
  size_t at = json.find(marker);
  if (at == std::string::npos) return "";
  at = json.find('"', at + marker.size());
  if (at == std::string::npos) return "";
  ++at;
  return json.substr(at, json.find('"', at) - at);
}

}  // namespace certpath::testing
