# Traps SIGINT, SIGTERM and SIGHUP, prints "ready", waits for the first
# signal, then 0.5 s more for any repeat, and prints how often each came.
use strict;
use warnings;
use Time::HiRes qw(sleep time);
$| = 1;
my %n;
$SIG{$_} = do { my $s = $_; sub { $n{$s}++ } } for qw(INT TERM HUP);
print "ready\n";
my $deadline = time + 20;
sleep 0.02 until %n || time > $deadline;
sleep 0.5;
print %n ? join(' ', map { "$_ x$n{$_}" } sort keys %n) . "\n" : "no signal\n";
exit(%n ? 0 : 1);
