# Perl: fork three children writing to one pipe, waitpid statuses, alarm
# interrupting a sleep, a piped open, then SIGKILL to itself.
use strict;
use warnings;
$| = 1;
pipe(my $r, my $w) or die "pipe: $!";
my @kids;
for my $i (1 .. 3) {
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) { close $r; print $w "child $i: ", $i * 11, "\n"; close $w; exit $i; }
    push @kids, $pid;
}
close $w;
print sort <$r>;
for my $p (@kids) { waitpid($p, 0); print "child exit status: ", $? >> 8, "\n"; }
my $got = eval {
    local $SIG{ALRM} = sub { die "alarm fired\n" };
    alarm 1;
    sleep 10;
    alarm 0;
    "no alarm\n";
};
print "alarm: ", ($@ || $got);
open(my $ps, '-|', 'sh', '-c', 'echo from a piped open; exit 2') or die "open: $!";
print while <$ps>;
close $ps;
print "piped open status: ", $? >> 8, "\n";
print STDERR "killing myself\n";
kill 'KILL', $$;
