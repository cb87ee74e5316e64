/* test_units.c - placeholder until base/units.c lands. */
void suite_units(void);
void suite_units(void)
{
}
