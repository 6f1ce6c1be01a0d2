// SharedHandlerFactory: Poco's request-handler factory for a server whose
// handlers all share one state object: each request gets `new
// Handler(shared)`. The state lives as long as the last handler. Poco calls
// it on its acceptor thread.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <memory>

namespace upkeep::net {

template <class Handler, class Shared>
class SharedHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit SharedHandlerFactory(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(shared_);
  }

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace upkeep::net
