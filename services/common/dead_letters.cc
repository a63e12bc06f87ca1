// DeadLetterApi: the dead-letter RPCs every producer serves (outbox.h).
#include "services/common/outbox.h"

#include <algorithm>

#include "services/common/list_page.h"
#include "services/common/log.h"
#include "services/common/status.h"
#include "services/common/subscriptions.h"
#include "services/common/validate.h"

namespace certpath {

// ------------------------------------------------------------------ dead-letter API

absl::StatusOr<std::string> DeadLetterApi::Check(const Principal& p, const std::string& name,
                                                 const char* method) const {
  auto ids = ParseName("name", name, {"tenants", "producers", "deadLetters"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant() || (*ids)[1] != outbox_.producer()) return NotFound("dead letter");
  if (auto s = policy_.Allow(p, method); !s.ok()) return s;
  return (*ids)[2];
}

absl::StatusOr<Stored<cv1::DeadLetter>> DeadLetterApi::Load(const Principal& p,
                                                            const std::string& member) {
  auto got = outbox_.GetDead(p.tenant(), member);
  if (!got.ok()) return got.status();
  if (!got->has_value()) return NotFound("dead letter");
  return **std::move(got);
}

absl::Status DeadLetterApi::ListDeadLetters(const Principal& p,
                                            const cv1::ListDeadLettersRequest& req,
                                            cv1::ListDeadLettersResponse* out) {
  auto ids = ParseName("parent", req.parent(), {"tenants", "producers"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant() || (*ids)[1] != outbox_.producer()) return NotFound("producer");
  if (auto s = policy_.Allow(p, "ListDeadLetters"); !s.ok()) return s;
  if (!req.consumer().empty()) {
    auto consumers = ConsumersOfProducer(outbox_.producer());
    if (std::find(consumers.begin(), consumers.end(), req.consumer()) == consumers.end()) {
      return InvalidArgument("consumer", "not a consumer of " + outbox_.producer());
    }
  }
  return ListPaged<cv1::ListDeadLettersResponse, cv1::DeadLetter>(
      tokens_, req.page_size(), req.page_token(), {"dead", req.parent(), req.consumer()},
      [&](int64_t after, int limit) {
        return outbox_.ListDead(p.tenant(), req.consumer(), after, limit);
      },
      out, &cv1::ListDeadLettersResponse::add_dead_letters, DecodeRecord<cv1::DeadLetter>);
}

absl::Status DeadLetterApi::GetDeadLetter(const Principal& p, const cv1::GetDeadLetterRequest& req,
                                          cv1::DeadLetter* out) {
  auto member = Check(p, req.name(), "GetDeadLetter");
  if (!member.ok()) return member.status();
  auto dl = Load(p, *member);
  if (!dl.ok()) return dl.status();
  *out = std::move(dl->value);
  return absl::OkStatus();
}

absl::Status DeadLetterApi::Act(const Principal& p, const std::string& name, const char* method,
                                const std::string& request_id,
                                const google::protobuf::Message& request, const Step& step,
                                cv1::DeadLetter* out) {
  // Authorized first: a stored answer goes only to who may still make the call.
  auto member = Check(p, name, method);
  if (!member.ok()) return member.status();
  Idem idem = outbox_.repository().MakeIdem(p.tenant(), p, request_id, request);
  if (auto replay = outbox_.repository().ReadReplay(idem); !replay.ok()) {
    return replay.status();
  } else if (*replay) {
    return out->ParseFromString(**replay) ? absl::OkStatus()
                                          : absl::InternalError("corrupt replay");
  }
  auto dl = Load(p, *member);
  if (!dl.ok()) return dl.status();
  if (auto s = writable_(p.tenant()); !s.ok()) return s;
  if (auto s = step(*dl, idem); !s.ok()) return s;
  log::Info(method, {{"producer", outbox_.producer()},
                     {"consumer", dl->value.consumer()},
                     {"tenant", p.tenant()},
                     {"event_id", dl->value.event().id()}});
  return absl::OkStatus();
}

absl::Status DeadLetterApi::ReplayDeadLetter(const Principal& p,
                                             const cv1::ReplayDeadLetterRequest& req,
                                             cv1::DeadLetter* out) {
  FieldViolations v;
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  auto s = Act(
      p, req.name(), "ReplayDeadLetter", req.request_id(), req,
      [&](const Stored<cv1::DeadLetter>& dl, const Idem& idem) {
        return outbox_.Replay(p.tenant(), dl, idem, out);
      },
      out);
  if (s.ok() && on_replay_) on_replay_();
  return s;
}

absl::Status DeadLetterApi::DiscardDeadLetter(const Principal& p,
                                              const cv1::DiscardDeadLetterRequest& req,
                                              cv1::DeadLetter* out) {
  FieldViolations v;
  CheckText(v, "reason", req.reason(), 2000, /*required=*/true, /*multiline=*/true);
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  return Act(
      p, req.name(), "DiscardDeadLetter", req.request_id(), req,
      [&](const Stored<cv1::DeadLetter>& dl, const Idem& idem) {
        return outbox_.Discard(p.tenant(), dl, req.reason(), p.subject(), clock_.Now(), idem, out);
      },
      out);
}

}  // namespace certpath
