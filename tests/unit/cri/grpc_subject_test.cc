#include "cri/grpc_subject.h"

#include "gtest/gtest.h"
#include "proto/cri_api.h"

namespace cri_dockerd {
namespace {

namespace v1 = ::runtime::v1;

TEST(RequestSubjectTest, RunPodSandboxNamesThePodByItsMetadata) {
  v1::RunPodSandboxRequest req;
  req.mutable_config()->mutable_metadata()->set_name("web");
  req.mutable_config()->mutable_metadata()->set_namespace_("shop");
  EXPECT_EQ(RequestSubject(req), "pod shop/web");
}

TEST(RequestSubjectTest, CreateContainerNamesTheContainerAndItsPod) {
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id("5ab1");
  req.mutable_config()->mutable_metadata()->set_name("app");
  req.mutable_sandbox_config()->mutable_metadata()->set_name("web");
  EXPECT_EQ(RequestSubject(req), "container app pod 5ab1");
}

TEST(RequestSubjectTest, ContainerAndSandboxVerbsNameTheirId) {
  v1::StopContainerRequest stop;
  stop.set_container_id("3f2a");
  EXPECT_EQ(RequestSubject(stop), "container 3f2a");
  v1::RemovePodSandboxRequest remove;
  remove.set_pod_sandbox_id("9c0d");
  EXPECT_EQ(RequestSubject(remove), "pod 9c0d");
}

TEST(RequestSubjectTest, ImageVerbsNameTheImageAndNeverTheCredentials) {
  v1::PullImageRequest req;
  req.mutable_image()->set_image("busybox:1.36");
  req.mutable_auth()->set_username("alice");
  req.mutable_auth()->set_password("s3cret");
  req.mutable_auth()->set_auth("YWxpY2U6czNjcmV0");
  const std::string subject = RequestSubject(req);
  EXPECT_EQ(subject, "image busybox:1.36");
  EXPECT_EQ(subject.find("s3cret"), std::string::npos);
}

TEST(RequestSubjectTest, ExecSyncNamesTheContainerButNotTheCommand) {
  v1::ExecSyncRequest req;
  req.set_container_id("3f2a");
  req.add_cmd("echo");
  req.add_cmd("token=abc");
  EXPECT_EQ(RequestSubject(req), "container 3f2a");
}

TEST(RequestSubjectTest, ListFiltersNameWhatTheySelect) {
  v1::ListContainersRequest req;
  req.mutable_filter()->set_id("3f");
  req.mutable_filter()->set_pod_sandbox_id("9c");
  EXPECT_EQ(RequestSubject(req), "id 3f pod 9c");
  v1::ListImagesRequest images;
  images.mutable_filter()->mutable_image()->set_image("nginx");
  EXPECT_EQ(RequestSubject(images), "image nginx");
}

TEST(RequestSubjectTest, RequestsAboutNothingHaveNoSubject) {
  EXPECT_EQ(RequestSubject(v1::VersionRequest()), "");
  EXPECT_EQ(RequestSubject(v1::ListContainersRequest()), "");
  EXPECT_EQ(RequestSubject(v1::RunPodSandboxRequest()), "");
}

}  // namespace
}  // namespace cri_dockerd
