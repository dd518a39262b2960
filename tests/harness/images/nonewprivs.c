/* crid-lab stand-in for the e2e nonewprivs test image. Installed setuid root;
 * reports the effective uid it ended up with: 0 when the setuid bit took
 * effect, the caller's uid when no_new_privs (allowPrivilegeEscalation=false)
 * stopped it. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("Effective uid: %d\n", (int)geteuid());
  return 0;
}
