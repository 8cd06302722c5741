// help: do nothing, successfully (exit status 0); b_micro's exec and spawn start it
/*
 * true: exits 0 at once.  The smallest program there is, so that b_micro's
 * exec and spawn figures are the cost of starting and ending a process,
 * not of what the program does.
 */
int main(void)
{
    return 0;
}
