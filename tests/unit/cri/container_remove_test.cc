// RemoveContainer: the container and its CRI log file go. A log path
// label set behind the shim's back (through a symlinked directory,
// relative, with "..") is not followed: what lies outside stays, and the
// container is removed all the same.
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "common/status_macros.h"
#include "cri/convert/naming.h"
#include "tests/unit/cri/container_fixture.h"

namespace cri_dockerd {
namespace {

using testing_util::Read;
using testing_util::TempDir;

std::string Base(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

class ContainerRemoveTest : public testing_util::ContainerTest {
 protected:
  absl::Time Soon() { return absl::Now() + absl::Seconds(10); }

  // A container of the pod whose log path label says `log_path`, as
  // anyone with access to docker could make one.
  absl::StatusOr<std::string> CreateWithLogLabel(const std::string& log_path) {
    absl::StatusOr<std::string> made = CreateC(Create("app"));
    if (!made.ok()) return made.status();
    docker::ContainerCreateConfig config = *docker_.CreatedConfig(*made);
    RETURN_IF_ERROR(docker_.RemoveContainer(*made, true, true, Soon()));
    config.labels[kLogPathLabel] = log_path;
    return docker_.CreateContainer(config, Soon());
  }
  absl::Status Remove(const std::string& id) {
    v1::RemoveContainerRequest rm;
    rm.set_container_id(id);
    return service_->RemoveContainer(Ctx(), rm).status();
  }
};

TEST_F(ContainerRemoveTest, RemovesTheContainerAndItsLogFile) {
  absl::StatusOr<std::string> id = CreateC(Create("app"));
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_EQ(mkdir((logs_.path() + "/app").c_str(), 0755), 0);
  const std::string log = logs_.Write("app/0.log", "line\n");
  ASSERT_TRUE(Remove(*id).ok());
  EXPECT_FALSE(Exists(log));
  EXPECT_EQ(docker_.InspectContainer(*id, Soon()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ContainerRemoveTest, AHostileLogPathLabelRemovesNothingOutside) {
  TempDir outside;
  const std::string victim = outside.Write("victim", "keep\n");
  const std::string link = logs_.path() + "/evil";
  ASSERT_EQ(symlink(outside.path().c_str(), link.c_str()), 0);
  // A relative label would be resolved against the daemon's directory.
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(chdir(outside.path().c_str()), 0);
  for (const std::string& label : {
           link + "/victim",       // symlinked dir
           std::string("victim"),  // relative
           outside.path() + "/../" + Base(outside.path()) + "/victim",
           outside.path() + "/./victim",
           outside.path() + "//victim",
       }) {
    absl::StatusOr<std::string> id = CreateWithLogLabel(label);
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_TRUE(Remove(*id).ok()) << label;
    EXPECT_EQ(docker_.InspectContainer(*id, Soon()).status().code(),
              absl::StatusCode::kNotFound)
        << label;
    EXPECT_TRUE(Exists(victim)) << label;
  }
  ASSERT_EQ(chdir(cwd), 0);
  EXPECT_EQ(Read(victim), "keep\n");
}

// The Go shim left the CRI log path as a symlink to docker's log: the
// link goes, what it points to stays.
TEST_F(ContainerRemoveTest, ALogFileSymlinkIsRemovedNotFollowed) {
  TempDir outside;
  const std::string victim = outside.Write("victim", "keep\n");
  ASSERT_EQ(mkdir((logs_.path() + "/app").c_str(), 0755), 0);
  const std::string log = logs_.path() + "/app/0.log";
  ASSERT_EQ(symlink(victim.c_str(), log.c_str()), 0);
  absl::StatusOr<std::string> id = CreateC(Create("app"));
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(Remove(*id).ok());
  EXPECT_FALSE(Exists(log));
  EXPECT_EQ(Read(victim), "keep\n");
}

}  // namespace
}  // namespace cri_dockerd
