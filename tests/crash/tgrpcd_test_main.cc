// main() of the tests that run the tgrpcd binary as a child: SIGPIPE ignored (a child's pipe may
// close under a write), and the working directory moved into the test's runfiles, where
// TgrpcdChild finds service/tgrpcd.
#include <csignal>
#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "tests/crash/tgrpcd_child.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::signal(SIGPIPE, SIG_IGN);
  if (absl::Status s = tgrpc::crash::EnterRunfiles(argv[0]); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  return RUN_ALL_TESTS();
}
