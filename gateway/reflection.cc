#include "gateway/reflection.h"

#include <set>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"

namespace certpath::gateway {

namespace pb = google::protobuf;
namespace rv1 = grpc::reflection::v1;

namespace {

// `file` and every file it imports, each once, imports first.
void AddFile(const pb::FileDescriptor* file, std::set<std::string>& seen,
             rv1::FileDescriptorResponse* out) {
  if (!seen.insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) AddFile(file->dependency(i), seen, out);
  pb::FileDescriptorProto proto;
  file->CopyTo(&proto);
  proto.SerializeToString(out->add_file_descriptor_proto());
}

void NotFound(rv1::ServerReflectionResponse& resp, const std::string& what) {
  resp.mutable_error_response()->set_error_code(static_cast<int>(grpc::StatusCode::NOT_FOUND));
  resp.mutable_error_response()->set_error_message(what + " not found");
}

class Reactor final
    : public grpc::ServerBidiReactor<rv1::ServerReflectionRequest, rv1::ServerReflectionResponse> {
 public:
  explicit Reactor(const Reflection& service) : service_(service) { StartRead(&req_); }

  void OnReadDone(bool ok) override {
    if (!ok) return Finish(grpc::Status::OK);  // the caller is done
    resp_ = service_.Answer(req_);
    StartWrite(&resp_);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
    StartRead(&req_);
  }
  void OnDone() override { delete this; }

 private:
  const Reflection& service_;
  rv1::ServerReflectionRequest req_;
  rv1::ServerReflectionResponse resp_;
};

}  // namespace

grpc::ServerBidiReactor<rv1::ServerReflectionRequest, rv1::ServerReflectionResponse>*
Reflection::ServerReflectionInfo(grpc::CallbackServerContext*) {
  return new Reactor(*this);
}

rv1::ServerReflectionResponse Reflection::Answer(const rv1::ServerReflectionRequest& req) const {
  const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
  rv1::ServerReflectionResponse resp;
  resp.set_valid_host(req.host());
  *resp.mutable_original_request() = req;
  std::set<std::string> seen;
  switch (req.message_request_case()) {
    case rv1::ServerReflectionRequest::kListServices:
      for (const std::string& name : services_) {
        resp.mutable_list_services_response()->add_service()->set_name(name);
      }
      break;
    case rv1::ServerReflectionRequest::kFileByFilename:
      if (const pb::FileDescriptor* f = pool->FindFileByName(req.file_by_filename())) {
        AddFile(f, seen, resp.mutable_file_descriptor_response());
      } else {
        NotFound(resp, "file " + req.file_by_filename());
      }
      break;
    case rv1::ServerReflectionRequest::kFileContainingSymbol:
      if (const pb::FileDescriptor* f =
              pool->FindFileContainingSymbol(req.file_containing_symbol())) {
        AddFile(f, seen, resp.mutable_file_descriptor_response());
      } else {
        NotFound(resp, "symbol " + req.file_containing_symbol());
      }
      break;
    case rv1::ServerReflectionRequest::kFileContainingExtension: {
      const auto& ext = req.file_containing_extension();
      const pb::Descriptor* type = pool->FindMessageTypeByName(ext.containing_type());
      const pb::FieldDescriptor* field =
          type == nullptr ? nullptr : pool->FindExtensionByNumber(type, ext.extension_number());
      if (field != nullptr) {
        AddFile(field->file(), seen, resp.mutable_file_descriptor_response());
      } else {
        NotFound(resp, "extension");
      }
      break;
    }
    case rv1::ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const pb::Descriptor* type = pool->FindMessageTypeByName(req.all_extension_numbers_of_type());
      if (type == nullptr) {
        NotFound(resp, "type " + req.all_extension_numbers_of_type());
        break;
      }
      std::vector<const pb::FieldDescriptor*> exts;
      pool->FindAllExtensions(type, &exts);
      auto* numbers = resp.mutable_all_extension_numbers_response();
      numbers->set_base_type_name(type->full_name());
      for (const auto* e : exts) numbers->add_extension_number(e->number());
      break;
    }
    default:
      resp.mutable_error_response()->set_error_code(
          static_cast<int>(grpc::StatusCode::UNIMPLEMENTED));
      resp.mutable_error_response()->set_error_message("unknown reflection request");
  }
  return resp;
}

}  // namespace certpath::gateway
