package sqlite

/*
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
static int portal_malloc_trim(void) { return malloc_trim(0); }
#else
static int portal_malloc_trim(void) { return 0; }
#endif
*/
import "C"

// mallocTrim hands the C heap's free pages back to the OS (glibc's
// malloc_trim; a no-op with other C libraries).
func mallocTrim() { C.portal_malloc_trim() }
