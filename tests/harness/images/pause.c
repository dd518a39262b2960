/* crid-lab pause: the infra process of a test pod sandbox.
 *
 * It only has to exist: it holds the pod's namespaces open, reaps the orphans
 * that get re-parented to it (it is PID 1 of a shared PID namespace), and
 * exits 0 on SIGTERM or SIGINT. The signals stay blocked and are taken with
 * sigwaitinfo(): blocked signals are queued even for a namespace's init,
 * which the kernel otherwise shields from signals it has no handler for.
 * Built static so it runs in any image. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("crid-lab pause 1");
    return 0;
  }
  sigset_t wanted;
  sigemptyset(&wanted);
  sigaddset(&wanted, SIGTERM);
  sigaddset(&wanted, SIGINT);
  sigaddset(&wanted, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &wanted, NULL) != 0) {
    perror("pause: sigprocmask");
    return 1;
  }
  for (;;) {
    int sig = sigwaitinfo(&wanted, NULL);
    if (sig == SIGTERM || sig == SIGINT) return 0;
    if (sig == SIGCHLD) {
      while (waitpid(-1, NULL, WNOHANG) > 0) {
      }
    }
  }
}
