/* test_tcp.c - placeholder until netem/tcp.c lands. */
void suite_tcp(void);
void suite_tcp(void)
{
}
