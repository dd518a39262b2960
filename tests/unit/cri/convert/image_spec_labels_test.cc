// A container's ImageSpec through docker labels and back, and the labels
// kept out of the CRI labels and annotations ContainerStatus reports.
#include "cri/convert/image_spec_labels.h"

#include "cri/convert/naming.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(ImageSpecLabelsTest, RoundTrip) {
  v1::ImageSpec spec;
  spec.set_image("sha256:1111");
  spec.set_user_specified_image("registry.example/app:1");
  spec.set_runtime_handler("kata");
  (*spec.mutable_annotations())["a/b"] = "c";
  (*spec.mutable_annotations())["annotation.x"] = "";
  std::map<std::string, std::string> labels = {{"tier", "front"}};
  SetImageSpecLabels(spec, &labels);
  EXPECT_EQ(labels.size(), 5u);

  v1::ImageSpec back;
  back.set_image("sha256:1111");
  FillImageSpecFromLabels(labels, &back);
  EXPECT_EQ(back.user_specified_image(), "registry.example/app:1");
  EXPECT_EQ(back.runtime_handler(), "kata");
  const std::map<std::string, std::string> annotations(
      back.annotations().begin(), back.annotations().end());
  EXPECT_THAT(annotations,
              ElementsAre(Pair("a/b", "c"), Pair("annotation.x", "")));

  auto [cri_labels, cri_annotations] = ExtractLabels(labels);
  EXPECT_THAT(cri_labels, ElementsAre(Pair("tier", "front")));
  EXPECT_THAT(cri_annotations, IsEmpty());
}

TEST(ImageSpecLabelsTest, EmptySpecAddsNothingAndUnknownLabelsAreIgnored) {
  std::map<std::string, std::string> labels;
  SetImageSpecLabels(v1::ImageSpec(), &labels);
  EXPECT_THAT(labels, IsEmpty());
  labels = {{"io.kubernetes.docker.image.future-field", "x"},
            {"io.kubernetes.docker.imagex", "y"}};
  v1::ImageSpec spec;
  FillImageSpecFromLabels(labels, &spec);
  EXPECT_EQ(spec.ByteSizeLong(), 0u);
}

}  // namespace
}  // namespace cri_dockerd
