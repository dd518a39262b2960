/* crid-lab tiny-nginx: a static stand-in for the e2e nginx test images,
 * installed as /usr/sbin/nginx. It does what the CRI validation suite looks at:
 *   - its command line reads "nginx: master process nginx -g daemon off;" and
 *     its name (comm) is "nginx" (it re-execs itself with that argv[0]);
 *   - it writes its pid to /var/run/nginx.pid;
 *   - it answers every HTTP request on port $PORT (default 80), IPv6 and IPv4,
 *     with a fixed "Welcome to nginx!" page;
 *   - it exits 0 on SIGTERM, SIGINT or SIGQUIT.
 * Arguments are ignored. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const char kTitle[] = "nginx: master process nginx -g daemon off;";
static const char kPage[] =
    "<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>\n"
    "<body><h1>Welcome to nginx!</h1><p>crid-lab "
    "tiny-nginx</p></body></html>\n";
static volatile sig_atomic_t stopping;

static void on_stop(int sig) {
  (void)sig;
  stopping = 1;
}

static int listen_on(int port) {
  int one = 1, zero = 0;
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
                              .sin6_port = htons(port)};
    a6.sin6_addr = in6addr_any;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (bind(fd, (struct sockaddr*)&a6, sizeof a6) == 0 && listen(fd, 128) == 0)
      return fd;
    close(fd);
  }
  /* no IPv6 in this network namespace: IPv4 only */
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port)};
  a4.sin_addr.s_addr = htonl(INADDR_ANY);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr*)&a4, sizeof a4) == 0 && listen(fd, 128) == 0)
    return fd;
  close(fd);
  return -1;
}

static void answer(int c) {
  char req[4096], head[256];
  ssize_t n = read(c, req, sizeof req); /* one read: requests are tiny */
  if (n <= 0) return;
  int len =
      snprintf(head, sizeof head,
               "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\n"
               "Content-Length: %zu\r\nConnection: close\r\n\r\n",
               sizeof kPage - 1);
  if (write(c, head, (size_t)len) == len && strncmp(req, "HEAD ", 5) != 0) {
    ssize_t w = write(c, kPage, sizeof kPage - 1);
    (void)w;
  }
}

int main(int argc, char** argv) {
  if (argc < 1 || strcmp(argv[0], kTitle) != 0) {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
      self[n] = '\0';
      char* args[] = {(char*)kTitle, NULL};
      execv(self, args);
    }
    perror("nginx: re-exec for the process title"); /* serve anyway */
  }
  prctl(PR_SET_NAME, "nginx", 0, 0, 0);

  struct sigaction sa = {
      .sa_handler = on_stop}; /* no SA_RESTART: accept() returns EINTR */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGQUIT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  const char* p = getenv("PORT");
  int port = p && *p ? atoi(p) : 80;
  int fd = listen_on(port);
  if (fd < 0) {
    fprintf(stderr, "nginx: cannot listen on port %d: %s\n", port,
            strerror(errno));
    return 1;
  }
  FILE* pid = fopen("/var/run/nginx.pid", "w");
  if (pid) {
    fprintf(pid, "%d\n", (int)getpid());
    fclose(pid);
  }
  fprintf(stderr, "nginx: listening on port %d\n", port);

  while (!stopping) {
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) continue;
    answer(c);
    close(c);
  }
  unlink("/var/run/nginx.pid");
  return 0;
}
