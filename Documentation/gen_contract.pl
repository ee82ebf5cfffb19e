#!/usr/bin/perl
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# The program contract has one source: the kernel-doc of kernel/vfmig_ops.h,
# kernel/kfuncs.c and kernel/pf_channel.c.  This renders it, through the kernel's own
# scripts/kernel-doc (-rst), into Documentation/contract.md and into the
# CONTRACT part of the vfmig-programs(7) man page (user/man/
# vfmig-programs.7, from user/man/vfmig-programs.7.in).  Both outputs are
# committed, so that `make install` and the packages need no kernel-doc;
# `--check` regenerates them in memory and fails, naming the fix, when a
# committed one differs (selftests/check.sh runs it beside kernel-doc).
#
#   Documentation/gen_contract.pl           rewrite both files
#   Documentation/gen_contract.pl --check   exit 1 if either is out of date
#
# KERNEL_DOC names the kernel-doc script; by default the one of the
# headers `make setup` installs (/usr/src/linux-headers-KVER/scripts/),
# KVER from .cache/kernel-version, else the newest installed.
use strict;
use warnings;
use File::Basename qw(dirname);
use Cwd qw(abs_path);

chdir(dirname(abs_path($0)) . '/..') or die "gen_contract: $!\n";
my $check = @ARGV && $ARGV[0] eq '--check';

my $MD = 'Documentation/contract.md';
my $MAN_IN = 'user/man/vfmig-programs.7.in';
my $MAN = 'user/man/vfmig-programs.7';

# What the contract is, in the order a vendor reads it: [heading, file,
# identifiers].  A heading of undef puts each identifier (a DOC section)
# at the top level under its own title.
my @PARTS = (
	['The ops a program implements', 'kernel/vfmig_ops.h', ['vfmig_ops']],
	[undef, 'kernel/vfmig_ops.h', [
		'Callbacks and their context',
		'Return values',
		'Refusals that keep the device',
		'Preparing the destination before the switchover',
		'What runs concurrently, and holding accesses off',
		'Compatibility beyond ids',
		'Dirty logging',
		'Trap windows and mmap',
	]],
	['Types programs see', 'kernel/vfmig_ops.h', [qw(
		vfmig_dev vfmig_access vfmig_stream vfmig_origin vfmig_exit_info
		vfmig_exit_reason vfmig_pci_id vfmig_poll)]],
	['Kfuncs', 'kernel/kfuncs.c', [qw(
		bpf_vfmig_trap_window bpf_vfmig_region_add
		bpf_vfmig_bar_read bpf_vfmig_bar_write
		bpf_vfmig_config_read bpf_vfmig_config_write
		bpf_vfmig_stream_write bpf_vfmig_stream_write_bar
		bpf_vfmig_stream_read
		bpf_vfmig_mark_dirty bpf_vfmig_dma_read
		bpf_vfmig_bar_poll bpf_vfmig_usleep
		bpf_vfmig_hold_accesses bpf_vfmig_release_accesses
		bpf_vfmig_log bpf_vfmig_error)]],
	['The PF channel', 'kernel/pf_channel.c', [qw(bpf_vfmig_pf_call)]],
);

sub kernel_doc_path {
	return $ENV{KERNEL_DOC} if $ENV{KERNEL_DOC};
	my $kver;
	if (open(my $fh, '<', '.cache/kernel-version')) {
		chomp($kver = <$fh> // '');
		close($fh);
	}
	my $p = "/usr/src/linux-headers-$kver/scripts/kernel-doc";
	return $p if $kver && -x $p;
	my @all = sort glob('/usr/src/linux-headers-*/scripts/kernel-doc');
	die "gen_contract: no scripts/kernel-doc: install linux-headers, or set KERNEL_DOC\n"
		unless @all;
	return $all[-1];
}
my $KD = kernel_doc_path();

# One item's kernel-doc as reStructuredText.  The Sphinx version is fixed
# so that the output does not depend on whether Sphinx is installed.
sub rst {
	my ($file, $ident) = @_;
	open(my $fh, '-|', $KD, '-rst', '-sphinx-version', '3.0', '-function', $ident, $file)
		or die "gen_contract: $KD: $!\n";
	my @l = <$fh>;
	close($fh) or die "gen_contract: kernel-doc failed on $file ($ident)\n";
	die "gen_contract: no kernel-doc for '$ident' in $file\n"
		unless grep { /\S/ } @l;
	chomp(@l);
	return @l;
}

# Parse kernel-doc's RST into blocks: [title, kind, name, purpose, proto],
# ['code', lines], ['defs', [[term, text]...]], ['label', text],
# ['para', text].  Paragraph text is joined into one line, so that inline
# markup split across lines is whole.
sub parse {
	my @l = @_;
	my @b;
	my $i = 0;
	my $para = sub {	# collect a paragraph starting at $i
		my @t;
		while ($i < @l && $l[$i] =~ /\S/) {
			(my $x = $l[$i++]) =~ s/^\s+//;
			push @t, $x;
		}
		return join(' ', @t);
	};
	while ($i < @l) {
		my $line = $l[$i];
		if ($line =~ /^\.\. c:(struct|union|enum|type|function):: (.*)$/) {
			my ($kind, $what) = ($1, $2);
			$i++;
			$i++ while $i < @l && $l[$i] !~ /\S/;
			my $purpose = $para->();
			if ($kind eq 'function') {
				$what =~ s/^__bpf_kfunc //;
				$what =~ s/ \(/(/;
				my ($name) = $what =~ /(\w+)\(/;
				push @b, ['title', 'function', $name, $purpose, $what];
			} else {
				$what = "$kind $what" if $kind ne 'type';
				push @b, ['title', $kind, $what, $purpose, undef];
			}
		} elsif ($line =~ /^\.\. container::/) {
			$i++;
		} elsif ($line =~ /^(\s*)\*\*Definition\*\*::\s*$/) {
			my $ind = length($1);
			my @code;
			$i++;
			while ($i < @l && ($l[$i] !~ /\S/ || $l[$i] =~ /^(\s*)/ && length($1) > $ind)) {
				push @code, $l[$i++];
			}
			pop @code while @code && $code[-1] !~ /\S/;
			shift @code while @code && $code[0] !~ /\S/;
			my ($min) = sort { $a <=> $b } map { /^(\s*)/; length($1) } grep { /\S/ } @code;
			s/^\s{$min}// for @code;
			push @b, ['code', [@code]];
		} elsif ($line =~ /^\s*\*\*(Members|Parameters|Constants)\*\*\s*$/) {
			my @defs;
			$i++;
			for (;;) {
				$i++ while $i < @l && $l[$i] !~ /\S/;
				last unless $i < @l && $l[$i] =~ /^\s*``(.*)``\s*$/;
				my $term = $1;
				$i++;
				push @defs, [$term, $para->()];
			}
			push @b, ['defs', \@defs];
		} elsif ($line =~ /^\s*\*\*([A-Z][\w ]*)\*\*\s*$/) {
			push @b, ['label', $1] unless $1 eq 'Description';
			$i++;
		} elsif ($line =~ /\S/) {
			push @b, ['para', $para->()];
		} else {
			$i++;
		}
	}
	return @b;
}

# Inline markup of kernel-doc's RST, as [kind, text] runs: code, emph, text.
sub runs {
	my ($t) = @_;
	my @r;
	while (length $t) {
		if ($t =~ s/^:c:\w+:`([^`<]*?)\s*(?:<[^>]*>)?`//) {
			push @r, ['code', $1];
		} elsif ($t =~ s/^``(.+?)``//) {
			push @r, ['code', $1];
		} elsif ($t =~ s/^`([^`]+)`//) {
			push @r, ['code', $1];
		} elsif ($t =~ s/^\*\*(.+?)\*\*//) {
			push @r, ['emph', $1];
		} elsif ($t =~ s/^\\(.)//) {
			push @r, ['text', $1];
		} elsif ($t =~ s/^([^:`*\\]+|.)//s) {
			push @r, ['text', $1];
		}
	}
	return @r;
}

# Fill words into lines of at most 76 columns; $ok says whether a line may
# begin with a word (Markdown would take "- x" or "1. x" for a list).
sub fill {
	my ($text, $ok) = @_;
	my @out;
	my $cur = '';
	for my $w (split / +/, $text) {
		if ($cur ne '' && length($cur) + 1 + length($w) > 76 && $ok->($w)) {
			push @out, $cur;
			$cur = $w;
		} else {
			$cur = $cur eq '' ? $w : "$cur $w";
		}
	}
	push @out, $cur if $cur ne '';
	return @out;
}

sub md_inline {
	return join('', map {
		$_->[0] eq 'code' ? "`$_->[1]`" :
		$_->[0] eq 'emph' ? "*$_->[1]*" :
		do { (my $x = $_->[1]) =~ s/([*<])/\\$1/g; $x }
	} runs($_[0]));
}

sub md_fill {
	my ($text, $indent, $prefix) = @_;
	$indent //= '';
	my @l = fill(($prefix // '') . md_inline($text),
		     sub { $_[0] !~ /^([-+*]|\d+[.)])$|^[>#]/ });
	return join("\n", map { ($_ > 0 ? $indent : '') . $l[$_] } 0 .. $#l) . "\n";
}

sub md_item {
	my ($level, @b) = @_;
	my $out = '';
	my $label;
	for my $b (@b) {
		my $k = $b->[0];
		if ($k eq 'title') {
			my (undef, $kind, $name, $purpose, $proto) = @$b;
			$out .= '#' x $level . ($kind eq 'function' ? " $name()\n\n" : " $name\n\n");
			$out .= md_fill(ucfirst($purpose) . '.') . "\n" if $purpose;
			$out .= "```c\n$proto;\n```\n\n" if $proto;
		} elsif ($k eq 'code') {
			$out .= "```c\n" . join("\n", @{$b->[1]}) . "\n```\n\n";
		} elsif ($k eq 'defs') {
			for my $d (@{$b->[1]}) {
				$out .= md_fill("- `$d->[0]`: $d->[1]", '  ');
			}
			$out .= "\n";
		} elsif ($k eq 'label') {
			$label = "**$b->[1]:** ";
		} elsif ($k eq 'para') {
			# A label and its paragraph read as one: "**Return:** 0; ...".
			$out .= md_fill($b->[1], '', $label) . "\n";
			undef $label;
		}
	}
	return $out;
}

sub roff_text {
	(my $x = $_[0]) =~ s/\\/\\e/g;
	$x =~ s/-/\\-/g;
	return $x;
}

sub roff_inline {
	return join('', map {
		$_->[0] eq 'code' ? '\fB' . roff_text($_->[1]) . '\fR' :
		$_->[0] eq 'emph' ? '\fI' . roff_text($_->[1]) . '\fR' :
		roff_text($_->[1])
	} runs($_[0]));
}

sub roff_fill {
	my @l = fill(roff_inline($_[0]), sub { 1 });
	s/^([.'])/\\&$1/ for @l;
	return join("\n", @l) . "\n";
}

sub roff_item {
	my ($sub, @b) = @_;
	my $out = '';
	for my $b (@b) {
		my $k = $b->[0];
		if ($k eq 'title') {
			my (undef, $kind, $name, $purpose, $proto) = @$b;
			$name .= '()' if $kind eq 'function';
			$out .= $sub ? ".SS \"$name\"\n" : ".SH \"\U$name\E\"\n";
			$out .= ".PP\n" . roff_fill(ucfirst($purpose) . '.') if $purpose;
			$out .= ".PP\n.nf\n.RS 4\n" . roff_text("$proto;") . "\n.RE\n.fi\n" if $proto;
		} elsif ($k eq 'code') {
			$out .= ".PP\n.nf\n.RS 4\n" .
				join("\n", map { s/^([.'])/\\&$1/r } map { roff_text($_) } @{$b->[1]}) .
				"\n.RE\n.fi\n";
		} elsif ($k eq 'defs') {
			for my $d (@{$b->[1]}) {
				$out .= ".TP\n.B " . roff_text($d->[0]) . "\n" . roff_fill($d->[1]);
			}
		} elsif ($k eq 'label') {
			$out .= ".PP\n\\fB" . roff_text($b->[1]) . ":\\fR\n";
		} elsif ($k eq 'para') {
			$out .= ($out =~ /:\\fR\n\z/ ? '' : ".PP\n") . roff_fill($b->[1]);
		}
	}
	return $out;
}

my $NOTE = 'Generated by Documentation/gen_contract.pl from the kernel-doc of ' .
	'kernel/vfmig_ops.h, kernel/kfuncs.c and kernel/pf_channel.c: do not edit it here; edit those ' .
	'comments and run `make contract`.';

my $md = "<!-- SPDX-License-Identifier: GPL-2.0 -->\n<!-- " . join("\n     ", fill($NOTE, sub { 1 })) .
	" -->\n\n# The vfmig program contract\n\n" . md_fill(
	'What the module promises a vendor program and what it asks of one: the ' .
	'`vfmig_ops` a program implements, when each callback runs and what it may ' .
	'return, the types it is given and the kfuncs it may call.  This is the ' .
	'kernel-doc of the module, rendered; Documentation/vendors.md says how to ' .
	'write, build and test a program, and the man page vfmig-programs(7) ' .
	'carries the same text.') . "\n";
my $roff = '';
for my $p (@PARTS) {
	my ($heading, $file, $idents) = @$p;
	$md .= "## $heading\n\n" if defined $heading;
	$roff .= ".SH \"\U$heading\E\"\n" if defined $heading;
	for my $id (@$idents) {
		my @b = parse(rst($file, $id));
		if (!defined $heading) {
			unshift @b, ['title', 'doc', $id, undef, undef];
		}
		$md .= md_item(defined $heading ? 3 : 2, @b);
		$roff .= roff_item(defined $heading, @b);
	}
}
$md =~ s/\n+\z/\n/;

open(my $in, '<', $MAN_IN) or die "gen_contract: $MAN_IN: $!\n";
my $man = do { local $/; <$in> };
close($in);
my $stamp = ".\\\" $NOTE\n";
$stamp =~ s/`//g;
$man =~ s/^\@CONTRACT\@\n/$roff/m or die "gen_contract: no \@CONTRACT\@ line in $MAN_IN\n";
$man =~ s/^(\.TH .*\n)/$stamp$1/m;

my $stale = 0;
for ([$MD, $md], [$MAN, $man]) {
	my ($path, $text) = @$_;
	my $old = '';
	if (open(my $fh, '<', $path)) {
		$old = do { local $/; <$fh> };
		close($fh);
	}
	next if $old eq $text;
	if ($check) {
		print "gen_contract: $path is not what the kernel-doc says: run 'make contract'\n";
		$stale = 1;
	} else {
		open(my $fh, '>', $path) or die "gen_contract: $path: $!\n";
		print $fh $text;
		close($fh) or die "gen_contract: $path: $!\n";
		print "gen_contract: wrote $path\n";
	}
}
exit $stale;
