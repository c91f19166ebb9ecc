#pragma once
// The path of a sync inference call (responses, chat, embeddings, images). The order of its
// steps is written once, in inference.cpp's run().
#include "agw/auth/key_record.hpp"
#include "agw/core/task.hpp"
#include "agw/http/message.hpp"
#include "agw/providers/provider.hpp"
#include "agw/providers/registry.hpp"

namespace agw::pipeline {

class InferencePipeline {
 public:
  explicit InferencePipeline(const providers::ProviderRegistry& providers);
  Task<http::Response> run(providers::Endpoint endpoint, http::Request& request,
                           const auth::KeyRecord& key) const;

 private:
  const providers::ProviderRegistry& providers_;
};

}  // namespace agw::pipeline
