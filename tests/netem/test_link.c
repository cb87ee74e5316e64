/* test_link.c - placeholder until netem/link.c lands. */
void suite_link(void);
void suite_link(void)
{
}
