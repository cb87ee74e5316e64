/* test_hist.c - placeholder until reports/hist.c lands. */
void suite_hist(void);
void suite_hist(void)
{
}
