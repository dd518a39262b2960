/* static_init.c: linked into the static cri-dockerd only (deploy/release/),
 * run before main(): keeps the static C library and libcrypto from loading
 * shared objects of the host at run time.
 *
 * NSS. A statically linked glibc still reads /etc/nsswitch.conf, and for a
 * service it does not have built in ("sss", "systemd", "resolve",
 * "myhostname", "ldap"...) dlopen()s the host's libnss_<service>.so.2,
 * which was built against the host's libc, not the copy linked in here:
 * at best the lookup fails, at worst the process crashes. That is what
 * the linker's "Using 'getaddrinfo' in statically linked applications
 * requires at runtime the shared libraries from the glibc version used
 * for linking" warns about. The daemon looks up two things: the "docker"
 * group for its socket (getgrnam, cmd/cri-dockerd/listener.cc) and, for a
 * --docker-endpoint tcp://NAME:PORT, the engine's host (getaddrinfo in
 * docker_client/ and libcurl's resolver). The libraries linked in have
 * more lookups the daemon never reaches (gRPC's c-ares client resolver:
 * hosts and services; libcrypto's BIO sockets: hosts). Those databases are
 * pinned to the services glibc has built in, so nothing is ever
 * dlopen()ed: groups from /etc/group only (the docker packages create the
 * group there), hosts from /etc/hosts then DNS (/etc/resolv.conf),
 * services from /etc/services. Numeric addresses never reach NSS.
 *
 * OpenSSL. libcrypto (SHA-1 and random bytes for the WebSocket handshake)
 * would read its configuration file on first use, and a configuration can
 * load provider modules (fips.so, legacy.so) built for the host's shared
 * libcrypto. Without the file, the built-in default provider serves. */
#include <nss.h>
#include <openssl/crypto.h>

__attribute__((constructor)) static void CridStaticInit(void) {
  __nss_configure_lookup("group", "files");
  __nss_configure_lookup("hosts", "files dns");
  __nss_configure_lookup("services", "files");
  OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
}
