/*
 * backup_main.c - placeholder until the job system lands.
 */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "not implemented yet\n");
	return 1;
}
