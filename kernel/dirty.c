// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty-page logging: which pages a device wrote by DMA while its user logs
 * them for live migration.
 *
 * The module keeps a bitmap per logged IOVA range and the program fills
 * it: a software tracker calls bpf_vfmig_mark_dirty() from the hooks that
 * see the device's DMA set-up, a hardware tracker reads the device's own
 * log in log_report() and marks what it finds.  Marking takes no lock: a
 * range is found by binary search in an SRCU-published log and its bits are
 * set with atomic ORs, then a summary bit per group of 4096 pages.
 *
 * Each range's bitmap is kept twice, and a group's marks go to one of the
 * two.  A report moves the marked groups wholly inside its window to the
 * other bitmap, waits one SRCU grace period for marks still on their way
 * to the old one, and then drains it with plain loads and stores: an atomic
 * exchange per word costs ten times a memcpy of the bitmap on hardware,
 * which a report of all dirty pages would pay for every word.  Groups only
 * partly in the window are taken word by word with atomic exchanges.
 * Either way a mark racing a report lands in this report or the next one,
 * never in neither.
 *
 * Two ways in: the VFIO DMA logging uAPI (vfio_log_ops) on kernels with
 * IOMMUFD_DRIVER, whose iova_bitmap the core needs to report; and, on every
 * kernel, the region of include/vfmig_dirty.h, so tracking also works on
 * Debian's kernels, which are built without IOMMUFD.
 */
#include <linux/bitops.h>
#include <linux/interval_tree.h>
#include <linux/iova_bitmap.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "../include/vfmig_dirty.h"

static unsigned int vfmig_max_dirty_mb = 64;
module_param_named(max_dirty_mb, vfmig_max_dirty_mb, uint, 0644);
MODULE_PARM_DESC(max_dirty_mb,
		 "Most MiB of dirty bitmap per device (64: 2 TiB of IOVA at 4 KiB), kept twice");

/*
 * Pages one summary bit stands for: 64 words of a span's bitmap, so a
 * report skips 16 MiB of clean 4 KiB pages by testing one bit.
 */
#define VFMIG_DIRTY_GROUP	(64 * BITS_PER_LONG)

/* The largest log granule: one bit per GiB is coarse enough for anyone. */
#define VFMIG_DIRTY_MAX_PAGE	SZ_1G

/* Marks read the log and the group's bitmap under it; see the top. */
DEFINE_STATIC_SRCU(vfmig_dirty_srcu);

/* The granule for a requested one: the hint if we can, else PAGE_SIZE. */
static u64 vfmig_dirty_page_size(u64 hint)
{
	if (hint < PAGE_SIZE || !is_power_of_2(hint))
		return PAGE_SIZE;
	return min_t(u64, hint, VFMIG_DIRTY_MAX_PAGE);
}

static int vfmig_span_cmp(const void *a, const void *b)
{
	const struct vfmig_dirty_span *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

static void vfmig_dirty_free(struct vfmig_dirty_log *log)
{
	u32 i;

	if (!log)
		return;
	for (i = 0; i < log->nr; i++) {
		struct vfmig_dirty_span *s = &log->spans[i];

		kvfree(s->bits[0]);
		kvfree(s->bits[1]);
		kvfree(s->summary);
		kvfree(s->sel);
		kvfree(s->flipped);
	}
	kfree(log);
}

/*
 * A log for the ranges [@ranges[i].iova, + .length): sorted here, then
 * checked as the uAPI asks (aligned to the granule, not empty, not
 * wrapping, not overlapping) and given zeroed bitmaps.
 */
static struct vfmig_dirty_log *
vfmig_dirty_alloc(struct vfmig_device *mdev,
		  const struct vfmig_dirty_range *ranges, u32 nr, u64 page_size)
{
	u64 max_bits = (u64)vfmig_max_dirty_mb * SZ_1M * BITS_PER_BYTE;
	unsigned int shift = ilog2(page_size);
	struct vfmig_dirty_log *log;
	u64 bits = 0;
	int ret = -EINVAL;
	u32 i;

	if (!nr)
		return ERR_PTR(-EINVAL);
	if (nr > VFMIG_DIRTY_MAX_RANGES)
		return ERR_PTR(-E2BIG);
	log = kzalloc(struct_size(log, spans, nr), GFP_KERNEL_ACCOUNT);
	if (!log)
		return ERR_PTR(-ENOMEM);
	log->nr = nr;		/* bitmaps still NULL: freeing is safe */
	log->page_size = page_size;
	log->shift = shift;
	for (i = 0; i < nr; i++) {
		struct vfmig_dirty_span *s = &log->spans[i];

		if (!ranges[i].length ||
		    check_add_overflow(ranges[i].iova, ranges[i].length - 1,
				       &s->last) ||
		    !IS_ALIGNED(ranges[i].iova | ranges[i].length, page_size)) {
			vfmig_set_error(mdev, "dirty log: range %llx+%llx is empty, wraps or is not aligned to %llu",
					ranges[i].iova, ranges[i].length,
					page_size);
			goto err;
		}
		s->iova = ranges[i].iova;
	}
	sort(log->spans, nr, sizeof(log->spans[0]), vfmig_span_cmp, NULL);
	for (i = 0; i < nr; i++) {
		struct vfmig_dirty_span *s = &log->spans[i];
		u64 pages = ((s->last - s->iova) >> shift) + 1, groups;

		if (i && s->iova <= log->spans[i - 1].last) {
			vfmig_set_error(mdev, "dirty log: ranges at %llx and %llx overlap",
					log->spans[i - 1].iova, s->iova);
			goto err;
		}
		bits += pages;
		if (bits > max_bits) {
			vfmig_set_error(mdev, "dirty log: bitmaps over vfmig.max_dirty_mb=%u MiB: raise it or log a larger page size",
					vfmig_max_dirty_mb);
			ret = -EFBIG;
			goto err;
		}
		s->bits[0] = kvcalloc(BITS_TO_LONGS(pages), sizeof(long),
				      GFP_KERNEL_ACCOUNT);
		s->bits[1] = kvcalloc(BITS_TO_LONGS(pages), sizeof(long),
				      GFP_KERNEL_ACCOUNT);
		groups = BITS_TO_LONGS(DIV_ROUND_UP(pages, VFMIG_DIRTY_GROUP));
		s->summary = kvcalloc(groups, sizeof(long), GFP_KERNEL_ACCOUNT);
		s->sel = kvcalloc(groups, sizeof(long), GFP_KERNEL_ACCOUNT);
		s->flipped = kvcalloc(groups, sizeof(long), GFP_KERNEL_ACCOUNT);
		if (!s->bits[0] || !s->bits[1] || !s->summary || !s->sel ||
		    !s->flipped) {
			ret = -ENOMEM;
			goto err;
		}
	}
	return log;

err:
	vfmig_dirty_free(log);
	return ERR_PTR(ret);
}

/* The first span of @log ending at or after @iova (nr when none). */
static u32 vfmig_dirty_first(const struct vfmig_dirty_log *log, u64 iova)
{
	u32 lo = 0, hi = log->nr;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (log->spans[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The bitmap that takes the marks of @group of @s. */
static unsigned long *vfmig_group_bits(struct vfmig_dirty_span *s, u64 group)
{
	return s->bits[test_bit(group, s->sel)];
}

/*
 * Set bits [@first, @end) of @s: whole words at a time, atomically, each
 * word's summary bit after it.  A report clears a summary bit before it
 * takes the words under it, so a mark it misses sets the bit again for
 * the next report.  With vfmig_dirty_srcu read-held, or the log's lock.
 */
static void vfmig_bits_set(struct vfmig_dirty_span *s, u64 first, u64 end)
{
	while (first < end) {
		u64 group = first / VFMIG_DIRTY_GROUP;
		unsigned long *word = &vfmig_group_bits(s, group)[first / BITS_PER_LONG];
		unsigned int lo = first % BITS_PER_LONG;
		unsigned int n = min_t(u64, end - first, BITS_PER_LONG - lo);
		unsigned long mask = GENMASK(lo + n - 1, lo);

		/* Already set: skip the atomic, spare the cache line. */
		if ((READ_ONCE(*word) & mask) != mask)
			atomic_long_or(mask, (atomic_long_t *)word);
		smp_mb__after_atomic();	/* the word, then its summary */
		if (!test_bit(group, s->summary))
			set_bit(group, s->summary);
		first += n;
	}
}

/* Mark [@iova, @last] in @log; returns the pages inside its spans. */
static u64 vfmig_dirty_set(struct vfmig_dirty_log *log, u64 iova, u64 last)
{
	u64 pages = 0;
	u32 i;

	for (i = vfmig_dirty_first(log, iova);
	     i < log->nr && log->spans[i].iova <= last; i++) {
		struct vfmig_dirty_span *s = &log->spans[i];
		u64 first = (max(iova, s->iova) - s->iova) >> log->shift;
		u64 end = ((min(last, s->last) - s->iova) >> log->shift) + 1;

		vfmig_bits_set(s, first, end);
		pages += end - first;
	}
	return pages;
}

/**
 * vfmig_dirty_mark() - the device wrote, or will write, [@iova, + @len)
 * @mdev: the device
 * @iova: first byte, as the device addresses it
 * @len: bytes
 *
 * Context: any but NMI, including RCU readers and atomic context; takes no
 * lock.
 * Return: 0, or -EINVAL when @len is 0 or the range wraps.  Pages outside
 * the logged ranges, and marks while nothing is logged, are ignored.
 */
int vfmig_dirty_mark(struct vfmig_device *mdev, u64 iova, u64 len)
{
	struct vfmig_dirty_log *log;
	u64 last;
	int idx;

	if (!len || check_add_overflow(iova, len - 1, &last))
		return -EINVAL;
	idx = srcu_read_lock(&vfmig_dirty_srcu);
	log = srcu_dereference(mdev->dirty.log, &vfmig_dirty_srcu);
	if (log)
		atomic64_add(vfmig_dirty_set(log, iova, last),
			     &mdev->dirty.marked);
	srcu_read_unlock(&vfmig_dirty_srcu, idx);
	return 0;
}

/* Where a report puts the dirty runs it takes. */
struct vfmig_dirty_sink {
	void (*put)(struct vfmig_dirty_sink *sink, u64 iova, u64 len);
	u64 iova;		/* the window reported: pages only partly */
	u64 last;		/* inside it are reported, not cleared */
	/*
	 * A sink that is a bitmap in the log's pages, bit 0 page @first
	 * (IOVA >> shift), also takes whole words where they line up with
	 * the log's: an OR, instead of runs of bits put one by one.
	 */
	unsigned long *words;
	u64 first;
	bool touched;		/* something was put */
	u64 run, run_len;	/* the run of pages being built, in a span */
};

/* Hand the run being built, pages of @s, to @sink. */
static void vfmig_sink_flush(struct vfmig_dirty_log *log,
			     struct vfmig_dirty_span *s,
			     struct vfmig_dirty_sink *sink)
{
	if (sink->run_len)
		sink->put(sink, s->iova + (sink->run << log->shift),
			  sink->run_len << log->shift);
	sink->run_len = 0;
}

/*
 * Take the bits of @bits, a bitmap of @s, for pages [@first, @end) of one
 * group: clear them and hand them to @sink.  Bits of pages @keep1 and
 * @keep2 are only reported.  @drained: no mark can reach @bits (a group
 * vfmig_dirty_begin() flipped), so plain loads and stores do; otherwise
 * each word is taken with one atomic operation.
 */
static void vfmig_dirty_take_words(struct vfmig_dirty_log *log,
				   struct vfmig_dirty_span *s,
				   unsigned long *bits, bool drained,
				   u64 first, u64 end, u64 keep1, u64 keep2,
				   struct vfmig_dirty_sink *sink)
{
	u64 span_page0 = s->iova >> log->shift, page;

	/* find_next_bit(): clean stretches cost a fast scan, not a loop turn. */
	for (page = find_next_bit(bits, end, first); page < end;
	     page = find_next_bit(bits, end, page)) {
		unsigned long *word = &bits[page / BITS_PER_LONG];
		unsigned int lo = page % BITS_PER_LONG;
		unsigned int n = min_t(u64, end - page, BITS_PER_LONG - lo);
		unsigned long mask = GENMASK(lo + n - 1, lo), keep = 0, got;
		u64 base = page - lo, at = span_page0 + base - sink->first;

		if (keep1 - base < BITS_PER_LONG)
			keep |= BIT(keep1 - base);
		if (keep2 - base < BITS_PER_LONG)
			keep |= BIT(keep2 - base);
		keep &= mask;
		got = READ_ONCE(*word) & mask;
		if (drained)
			*word &= ~(mask & ~keep);
		/* A whole dirty word is one exchange, not a compare loop. */
		else if (mask == ~0UL && !keep)
			got = atomic_long_xchg((atomic_long_t *)word, 0);
		else if (got & ~keep)
			got = atomic_long_fetch_andnot(mask & ~keep,
						       (atomic_long_t *)word) & mask;

		/* Words that line up go to a bitmap sink as they are. */
		if (got && sink->words && span_page0 + base >= sink->first &&
		    !(at % BITS_PER_LONG)) {
			sink->words[at / BITS_PER_LONG] |= got;
			sink->touched = true;
			page += n;
			continue;
		}
		while (got) {
			unsigned int b = __ffs(got);
			unsigned long rest = ~(got >> b);
			unsigned int len = rest ? __ffs(rest) : BITS_PER_LONG - b;
			u64 p = base + b;

			if (sink->run_len && sink->run + sink->run_len == p) {
				sink->run_len += len;
			} else {
				vfmig_sink_flush(log, s, sink);
				sink->run = p;
				sink->run_len = len;
			}
			got &= ~GENMASK(b + len - 1, b);
		}
		page += n;
	}
}

/* Pages [*@first, *@end) of @s in [@iova, @last], and those to keep. */
struct vfmig_dirty_window {
	u64 first, end;		/* pages of the span, from its start */
	u64 keep1, keep2;	/* pages only partly inside: U64_MAX if none */
};

static void vfmig_dirty_window(struct vfmig_dirty_log *log,
			       struct vfmig_dirty_span *s, u64 iova, u64 last,
			       struct vfmig_dirty_window *w)
{
	u64 lo = max(iova, s->iova), hi = min(last, s->last);
	u64 mask = log->page_size - 1;

	w->first = (lo - s->iova) >> log->shift;
	w->end = ((hi - s->iova) >> log->shift) + 1;
	w->keep1 = lo & mask ? w->first : U64_MAX;
	w->keep2 = (hi + 1) & mask ? w->end - 1 : U64_MAX;
}

/* Group @g's pages: [*@g_first, *@g_last] of @s. */
static void vfmig_group_pages(struct vfmig_dirty_log *log,
			      struct vfmig_dirty_span *s, u64 g,
			      u64 *g_first, u64 *g_last)
{
	u64 pages = ((s->last - s->iova) >> log->shift) + 1;

	*g_first = g * VFMIG_DIRTY_GROUP;
	*g_last = min(*g_first + VFMIG_DIRTY_GROUP, pages) - 1;
}

/*
 * Group [@g_first, @g_last] lies wholly inside @w and holds no page kept:
 * a report may take all of it and clear its summary for good.
 */
static bool vfmig_group_whole(const struct vfmig_dirty_window *w,
			      u64 g_first, u64 g_last)
{
	return g_first >= w->first && g_last < w->end &&
	       !(w->keep1 >= g_first && w->keep1 <= g_last) &&
	       !(w->keep2 >= g_first && w->keep2 <= g_last);
}

/*
 * Take the bits of @s in window @w: first the groups flipped for it, from
 * their drained bitmap; then the groups marked since, or only partly in
 * the window, atomically.  A clean stretch costs a bit per group.
 */
static void vfmig_dirty_take_span(struct vfmig_dirty_log *log,
				  struct vfmig_dirty_span *s,
				  const struct vfmig_dirty_window *w,
				  struct vfmig_dirty_sink *sink)
{
	u64 g_end = DIV_ROUND_UP(w->end, VFMIG_DIRTY_GROUP);
	u64 g, g_first, g_last;

	for (g = find_next_bit(s->flipped, g_end, w->first / VFMIG_DIRTY_GROUP);
	     g < g_end; g = find_next_bit(s->flipped, g_end, g + 1)) {
		vfmig_group_pages(log, s, g, &g_first, &g_last);
		vfmig_dirty_take_words(log, s, s->bits[!test_bit(g, s->sel)], true,
				       max(w->first, g_first), min(w->end - 1, g_last) + 1,
				       w->keep1, w->keep2, sink);
		/* A region read takes a group in two chunks, at worst. */
		if (w->end > g_last)
			__clear_bit(g, s->flipped);
	}
	vfmig_sink_flush(log, s, sink);

	for (g = find_next_bit(s->summary, g_end, w->first / VFMIG_DIRTY_GROUP);
	     g < g_end; g = find_next_bit(s->summary, g_end, g + 1)) {
		u64 lo, hi;

		vfmig_group_pages(log, s, g, &g_first, &g_last);
		lo = max(w->first, g_first);
		hi = min(w->end - 1, g_last);
		/* Ordered before the words are read: see vfmig_bits_set(). */
		if (!test_and_clear_bit(g, s->summary))
			continue;
		vfmig_dirty_take_words(log, s, vfmig_group_bits(s, g), false, lo, hi + 1,
				       w->keep1, w->keep2, sink);
		/* Pages of the group left out of this window, or kept. */
		if (!vfmig_group_whole(w, g_first, g_last))
			set_bit(g, s->summary);
	}
	vfmig_sink_flush(log, s, sink);
}

/*
 * The device's program and the generation it was published with, read as
 * one: vfmig_publish() changes both under @mdev->trap_lock.  A program
 * read with the generation of another would let a log started with one
 * program be reported by the next without saying marks may be lost.
 * With @mdev->srcu read-held.
 */
static struct vfmig_binding *vfmig_dirty_binding(struct vfmig_device *mdev,
						 u32 *generation)
{
	struct vfmig_binding *b;

	down_read(&mdev->trap_lock);
	b = srcu_dereference(mdev->binding, &mdev->srcu);
	*generation = mdev->binding_generation;
	up_read(&mdev->trap_lock);
	return b;
}

/*
 * Start a report of [@iova, @last]: the program's log_report() (a hardware
 * tracker marks what its device logged), then each marked group wholly
 * inside the window is flipped: its summary cleared first, its marks sent
 * to the other bitmap, and once a grace period has passed no mark can
 * reach the old one, which vfmig_dirty_take() drains.  Fails with -EIO,
 * and the reason in sysfs, if marks may have been lost: the program that
 * started the log has stopped since.
 */
static int vfmig_dirty_begin(struct vfmig_device *mdev,
			     struct vfmig_dirty_log *log, u64 iova, u64 last)
{
	struct vfmig_dirty_window w;
	struct vfmig_binding *b;
	bool flipped = false;
	int idx, ret = 0;
	u32 i, gen;

	lockdep_assert_held(&mdev->dirty.lock);
	idx = srcu_read_lock(&mdev->srcu);
	b = vfmig_dirty_binding(mdev, &gen);
	if (!log->lost && (!b || READ_ONCE(b->error) || log->generation != gen)) {
		vfmig_set_error(mdev, "dirty log: its program stopped, marks may be lost: restart the log, treat all as dirty");
		log->lost = true;
	}
	if (log->lost) {	/* until stopped: the uAPI's "log corrupted" */
		ret = -EIO;
		goto out;
	}
	i = vfmig_dirty_first(log, iova);
	if (i == log->nr || log->spans[i].iova > last)
		goto out;	/* nothing logged in the window */

	if (b->ops->log_report) {
		u64 lo = max(iova, log->spans[0].iova);
		u64 hi = min(last, log->spans[log->nr - 1].last);

		ret = vfmig_call_log_report(b, lo, hi - lo + 1);
		if (ret) {
			log->lost = true;
			if (!READ_ONCE(b->error))	/* else it said why */
				vfmig_set_error(mdev, "dirty log: program %s log_report failed: %d",
						b->ops->name, ret);
			goto out;
		}
	}
	for (; i < log->nr && log->spans[i].iova <= last; i++) {
		struct vfmig_dirty_span *s = &log->spans[i];
		u64 g, g_end, g_first, g_last;

		vfmig_dirty_window(log, s, iova, last, &w);
		g_end = DIV_ROUND_UP(w.end, VFMIG_DIRTY_GROUP);
		for (g = find_next_bit(s->summary, g_end, w.first / VFMIG_DIRTY_GROUP);
		     g < g_end; g = find_next_bit(s->summary, g_end, g + 1)) {
			vfmig_group_pages(log, s, g, &g_first, &g_last);
			if (!vfmig_group_whole(&w, g_first, g_last) ||
			    test_bit(g, s->flipped))
				continue;	/* taken atomically */
			/* The summary first: a mark after it sets it again. */
			if (!test_and_clear_bit(g, s->summary))
				continue;
			change_bit(g, s->sel);
			__set_bit(g, s->flipped);
			flipped = true;
		}
	}
	/* Marks that saw the old bitmap are done; later ones see the new. */
	if (flipped)
		synchronize_srcu_expedited(&vfmig_dirty_srcu);
out:
	srcu_read_unlock(&mdev->srcu, idx);
	return ret;
}

/* Take [@sink->iova, @sink->last], begun by vfmig_dirty_begin(). */
static void vfmig_dirty_take(struct vfmig_dirty_log *log,
			     struct vfmig_dirty_sink *sink)
{
	struct vfmig_dirty_window w;
	u32 i;

	for (i = vfmig_dirty_first(log, sink->iova);
	     i < log->nr && log->spans[i].iova <= sink->last; i++) {
		vfmig_dirty_window(log, &log->spans[i], sink->iova, sink->last, &w);
		vfmig_dirty_take_span(log, &log->spans[i], &w, sink);
	}
}

/*
 * End a report: a group flipped but not drained (a region read that
 * stopped early) gives its bits back to the bitmap marks go to.
 */
static void vfmig_dirty_end(struct vfmig_dirty_log *log)
{
	u32 i;

	for (i = 0; i < log->nr; i++) {
		struct vfmig_dirty_span *s = &log->spans[i];
		u64 pages = ((s->last - s->iova) >> log->shift) + 1, g;

		for_each_set_bit(g, s->flipped, DIV_ROUND_UP(pages, VFMIG_DIRTY_GROUP)) {
			unsigned long *old = s->bits[!test_bit(g, s->sel)];
			u64 g_first, g_last, page;

			vfmig_group_pages(log, s, g, &g_first, &g_last);
			page = g_first;
			for_each_set_bit_from(page, old, g_last + 1) {
				vfmig_bits_set(s, page, page + 1);
				__clear_bit(page, old);
			}
			__clear_bit(g, s->flipped);
		}
	}
}

/* Stop logging, telling a hardware tracker; free the log once unused. */
static void vfmig_dirty_stop_locked(struct vfmig_device *mdev)
{
	struct vfmig_dirty_log *log;
	struct vfmig_binding *b;
	int idx;
	u32 gen;

	lockdep_assert_held(&mdev->dirty.lock);
	log = rcu_replace_pointer(mdev->dirty.log, NULL,
				  lockdep_is_held(&mdev->dirty.lock));
	if (!log)
		return;
	idx = srcu_read_lock(&mdev->srcu);
	b = vfmig_dirty_binding(mdev, &gen);
	if (b && log->generation == gen)
		vfmig_call_log_stop(b);
	srcu_read_unlock(&mdev->srcu, idx);
	synchronize_srcu(&vfmig_dirty_srcu);	/* no mark_dirty() still in it */
	vfmig_dirty_free(log);
}

/*
 * Start logging @ranges; *@page_size is the hint on entry and the granule
 * chosen on return.  -EBUSY when already logging (the uAPI allows one
 * start), -ENODEV when the program is gone or gave up.
 */
static int vfmig_dirty_start(struct vfmig_device *mdev,
			     const struct vfmig_dirty_range *ranges, u32 nr,
			     u64 *page_size)
{
	struct vfmig_dirty_log *log;
	struct vfmig_binding *b;
	int idx, ret = 0;
	u32 i;

	lockdep_assert_held(&mdev->dirty.lock);
	if (rcu_access_pointer(mdev->dirty.log))
		return -EBUSY;

	log = vfmig_dirty_alloc(mdev, ranges, nr,
				vfmig_dirty_page_size(*page_size));
	if (IS_ERR(log))
		return PTR_ERR(log);

	idx = srcu_read_lock(&mdev->srcu);
	b = vfmig_dirty_binding(mdev, &log->generation);
	if (!b || READ_ONCE(b->error) || !(b->ops->flags & VFMIG_F_DIRTY_LOG)) {
		vfmig_set_error(mdev, "dirty log: no program logs this device's DMA: attach one with VFMIG_F_DIRTY_LOG");
		ret = -ENODEV;
		goto out;
	}
	for (i = 0; i < log->nr && !ret; i++) {
		struct vfmig_dirty_span *s = &log->spans[i];

		ret = vfmig_call_log_start(b, s->iova, s->last - s->iova + 1,
					   log->page_size);
	}
	if (ret) {
		vfmig_call_log_stop(b);
		if (!READ_ONCE(b->error))	/* else it said why */
			vfmig_set_error(mdev, "dirty log: program %s log_start failed: %d",
					b->ops->name, ret);
		goto out;
	}
	*page_size = log->page_size;
	rcu_assign_pointer(mdev->dirty.log, log);
	log = NULL;
out:
	srcu_read_unlock(&mdev->srcu, idx);
	vfmig_dirty_free(log);
	return ret;
}

/* --- the vfmig region: include/vfmig_dirty.h --- */

static ssize_t vfmig_dirty_control(struct vfmig_device *mdev,
				   const char __user *buf, size_t count)
{
	struct vfmig_dirty_control ctl;
	struct vfmig_dirty_range *ranges;
	size_t size;
	int ret;

	if (count < sizeof(ctl) || copy_from_user(&ctl, buf, sizeof(ctl)))
		return count < sizeof(ctl) ? -EINVAL : -EFAULT;
	if (ctl.op == VFMIG_DIRTY_STOP) {
		mutex_lock(&mdev->dirty.lock);
		vfmig_dirty_stop_locked(mdev);
		mutex_unlock(&mdev->dirty.lock);
		return count;
	}
	if (ctl.op != VFMIG_DIRTY_START)
		return -EINVAL;
	if (ctl.num_ranges > VFMIG_DIRTY_MAX_RANGES)
		return -E2BIG;
	size = struct_size(&ctl, ranges, ctl.num_ranges);
	if (count != size)
		return -EINVAL;
	ranges = memdup_user(buf + sizeof(ctl), size - sizeof(ctl));
	if (IS_ERR(ranges))
		return PTR_ERR(ranges);

	mutex_lock(&mdev->dirty.lock);
	ret = vfmig_dirty_start(mdev, ranges, ctl.num_ranges, &ctl.page_size);
	mutex_unlock(&mdev->dirty.lock);
	kfree(ranges);
	return ret ?: count;
}

static ssize_t vfmig_dirty_status(struct vfmig_device *mdev, char __user *buf,
				  size_t count)
{
	struct vfmig_dirty_status st = {
		.marked = atomic64_read(&mdev->dirty.marked),
	};
	struct vfmig_dirty_log *log;

	if (count != sizeof(st))
		return -EINVAL;
	mutex_lock(&mdev->dirty.lock);
	log = rcu_dereference_protected(mdev->dirty.log,
					lockdep_is_held(&mdev->dirty.lock));
	if (log) {
		st.page_size = log->page_size;
		st.num_ranges = log->nr;
		st.flags = VFMIG_DIRTY_RUNNING | (log->lost ? VFMIG_DIRTY_LOST : 0);
	}
	mutex_unlock(&mdev->dirty.lock);
	return copy_to_user(buf, &st, sizeof(st)) ? -EFAULT : count;
}

/*
 * Region reports go through a bitmap buffer of up to 64 KiB (512 Ki pages,
 * 2 GiB of IOVA at 4 KiB) at a time: each pass costs a log_report() call.
 */
#define VFMIG_DIRTY_CHUNK	SZ_64K

/* A chunk of the region's bitmap: @sink.words, VFMIG_DIRTY_CHUNK bytes. */
struct vfmig_bitmap_sink {
	struct vfmig_dirty_sink sink;
	unsigned int shift;
};

static void vfmig_bitmap_put(struct vfmig_dirty_sink *sink, u64 iova, u64 len)
{
	struct vfmig_bitmap_sink *bs = container_of(sink, struct vfmig_bitmap_sink, sink);

	bitmap_set(sink->words, (iova >> bs->shift) - sink->first, len >> bs->shift);
	sink->touched = true;
}

/* Set again the pages @bs holds (a region write, or a failed read). */
static void vfmig_dirty_put_back(struct vfmig_device *mdev,
				 struct vfmig_dirty_log *log,
				 struct vfmig_bitmap_sink *bs)
{
	unsigned int b, e;

	for_each_set_bitrange(b, e, bs->sink.words, VFMIG_DIRTY_CHUNK * BITS_PER_BYTE)
		atomic64_add(vfmig_dirty_set(log, (bs->sink.first + b) << log->shift,
					     ((bs->sink.first + e) << log->shift) - 1),
			     &mdev->dirty.marked);
}

/* Pages of a region read or write: bit i of byte @pos is page 8 * @pos + i. */
static ssize_t vfmig_dirty_bitmap_rw(struct vfmig_device *mdev,
				     char __user *buf, size_t count, u64 pos,
				     bool iswrite)
{
	struct vfmig_bitmap_sink bs = { .sink.put = vfmig_bitmap_put };
	struct vfmig_dirty_log *log;
	size_t done = 0;
	u64 top;		/* the last page IOVA holds */
	int ret = 0;

	bs.sink.words = kvzalloc(VFMIG_DIRTY_CHUNK, GFP_KERNEL_ACCOUNT);
	if (!bs.sink.words)
		return -ENOMEM;
	mutex_lock(&mdev->dirty.lock);
	log = rcu_dereference_protected(mdev->dirty.log,
					lockdep_is_held(&mdev->dirty.lock));
	if (!log) {
		ret = -EINVAL;
		goto out;
	}
	bs.shift = log->shift;
	top = U64_MAX >> log->shift;
	if (!iswrite) {
		u64 first = pos * BITS_PER_BYTE, end = first + (u64)count * BITS_PER_BYTE;

		if (first <= top) {
			ret = vfmig_dirty_begin(mdev, log, first << log->shift,
						end - 1 > top ? U64_MAX :
						(end << log->shift) - 1);
			if (ret)
				goto out;
		}
	}
	while (done < count) {
		size_t n = min_t(size_t, count - done, VFMIG_DIRTY_CHUNK);
		u64 pages = (u64)n * BITS_PER_BYTE, first, last;

		/*
		 * One read covers up to 64 TiB of IOVA at 4 KiB: a long loop,
		 * which yields and which a kill ends.
		 */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
		first = (pos + done) * BITS_PER_BYTE;
		/* IOVA past 2^64 is never logged: those bits are zero. */
		if (first <= top) {
			/* The last page of the chunk, or of IOVA space. */
			last = first + min(pages - 1, top - first);
			bs.sink.first = first;
			bs.sink.iova = first << log->shift;
			bs.sink.last = (last << log->shift) | (log->page_size - 1);
			bs.sink.touched = iswrite;
			if (iswrite) {
				if (copy_from_user(bs.sink.words, buf + done, n)) {
					ret = -EFAULT;
					break;
				}
				/* Bits past the top of IOVA space mean nothing. */
				if (last - first < pages - 1)
					bitmap_clear(bs.sink.words, last - first + 1,
						     pages - 1 - (last - first));
				vfmig_dirty_put_back(mdev, log, &bs);
			} else {
				vfmig_dirty_take(log, &bs.sink);
				/* Nothing taken: zeroes, without the copy. */
				if (bs.sink.touched ? copy_to_user(buf + done, bs.sink.words, n) :
				    clear_user(buf + done, n)) {
					/* Lose nothing: put what was taken back. */
					vfmig_dirty_put_back(mdev, log, &bs);
					ret = -EFAULT;
					break;
				}
			}
		} else if (!iswrite && clear_user(buf + done, n)) {
			ret = -EFAULT;
			break;
		}
		if (bs.sink.touched)
			memset(bs.sink.words, 0, n);
		done += n;
	}
	/* What a killed read took goes to a process that never sees it. */
	if (ret == -EINTR && !iswrite && done) {
		log->lost = true;
		vfmig_set_error(mdev, "dirty log: a report was killed: marks may be lost");
	}
	if (!iswrite)
		vfmig_dirty_end(log);
out:
	mutex_unlock(&mdev->dirty.lock);
	kvfree(bs.sink.words);
	return ret == -EINTR ? ret : done ?: ret;
}

static ssize_t vfmig_dirty_region_rw(struct vfio_pci_core_device *core,
				     char __user *buf, size_t count,
				     loff_t *ppos, bool iswrite)
{
	struct vfmig_device *mdev = container_of(core, struct vfmig_device, core);
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	ssize_t ret;

	if (pos < VFMIG_DIRTY_BITMAP_OFFSET) {
		if (pos)
			return -EINVAL;
		ret = iswrite ? vfmig_dirty_control(mdev, buf, count)
			      : vfmig_dirty_status(mdev, buf, count);
	} else {
		if (count > VFMIG_DIRTY_REGION_SIZE - pos)
			return -EINVAL;
		ret = vfmig_dirty_bitmap_rw(mdev, buf, count,
					    pos - VFMIG_DIRTY_BITMAP_OFFSET,
					    iswrite);
	}
	if (ret > 0)
		*ppos += ret;
	return ret;
}

static void vfmig_dirty_region_release(struct vfio_pci_core_device *core,
				       struct vfio_pci_region *region)
{
}

static const struct vfio_pci_regops vfmig_dirty_regops = {
	.rw = vfmig_dirty_region_rw,
	.release = vfmig_dirty_region_release,
};

/* --- the VFIO DMA logging uAPI, where the core can report --- */

#if IS_ENABLED(CONFIG_IOMMUFD_DRIVER)
MODULE_IMPORT_NS(IOMMUFD);	/* iova_bitmap_set() */

static int vfmig_log_start(struct vfio_device *vdev,
			   struct rb_root_cached *ranges, u32 nnodes,
			   u64 *page_size)
{
	struct vfmig_device *mdev = to_vfmig(vdev);
	struct vfmig_dirty_range *r;
	struct interval_tree_node *node;
	u32 i = 0;
	int ret;

	r = kvcalloc(nnodes, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	for (node = interval_tree_iter_first(ranges, 0, ULONG_MAX);
	     node && i < nnodes; node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		r[i].iova = node->start;
		r[i].length = node->last - node->start + 1;
		i++;
	}
	mutex_lock(&mdev->dirty.lock);
	ret = vfmig_dirty_start(mdev, r, i, page_size);
	mutex_unlock(&mdev->dirty.lock);
	kvfree(r);
	return ret;
}

static int vfmig_log_stop(struct vfio_device *vdev)
{
	struct vfmig_device *mdev = to_vfmig(vdev);

	mutex_lock(&mdev->dirty.lock);
	vfmig_dirty_stop_locked(mdev);
	mutex_unlock(&mdev->dirty.lock);
	return 0;
}

struct vfmig_iova_sink {
	struct vfmig_dirty_sink sink;
	struct iova_bitmap *dirty;
};

/* iova_bitmap_set() of the part of a run inside the window asked for. */
static void vfmig_iova_put(struct vfmig_dirty_sink *sink, u64 iova, u64 len)
{
	struct vfmig_iova_sink *is = container_of(sink, struct vfmig_iova_sink, sink);
	u64 first = max(iova, sink->iova);
	u64 last = min(iova + len - 1, sink->last);

	iova_bitmap_set(is->dirty, first, last - first + 1);
}

static int vfmig_log_read_and_clear(struct vfio_device *vdev,
				    unsigned long iova, unsigned long length,
				    struct iova_bitmap *dirty)
{
	struct vfmig_device *mdev = to_vfmig(vdev);
	struct vfmig_iova_sink is = {
		.sink = { .put = vfmig_iova_put, .iova = iova,
			  .last = iova + length - 1 },
		.dirty = dirty,
	};
	struct vfmig_dirty_log *log;
	int ret;

	if (!length)
		return 0;
	mutex_lock(&mdev->dirty.lock);
	log = rcu_dereference_protected(mdev->dirty.log,
					lockdep_is_held(&mdev->dirty.lock));
	ret = log ? vfmig_dirty_begin(mdev, log, is.sink.iova, is.sink.last) : -EINVAL;
	if (!ret) {
		vfmig_dirty_take(log, &is.sink);
		vfmig_dirty_end(log);
	}
	mutex_unlock(&mdev->dirty.lock);
	return ret;
}

static const struct vfio_log_ops vfmig_log_ops = {
	.log_start = vfmig_log_start,
	.log_stop = vfmig_log_stop,
	.log_read_and_clear = vfmig_log_read_and_clear,
};
#endif

/**
 * vfmig_dirty_open() - offer dirty logging if the attached program does
 * @mdev: the device, being opened for the first time, vfio-pci enabled
 *
 * Decided at open, as for migration: the VFIO core reads log_ops on every
 * ioctl without a lock we could take.
 *
 * Context: the VFIO core's dev_set lock and @mdev->lock held.
 * Return: 0, or -errno if the region could not be added.
 */
int vfmig_dirty_open(struct vfmig_device *mdev)
{
	struct vfmig_binding *b;
	bool offer;

	lockdep_assert_held(&mdev->lock);
	b = rcu_dereference_protected(mdev->binding,
				      lockdep_is_held(&mdev->lock));
	offer = b && !b->error && (b->ops->flags & VFMIG_F_DIRTY_LOG);
	atomic64_set(&mdev->dirty.marked, 0);
#if IS_ENABLED(CONFIG_IOMMUFD_DRIVER)
	mdev->core.vdev.log_ops = offer ? &vfmig_log_ops : NULL;
#endif
	if (!offer)
		return 0;
	return vfio_pci_core_register_dev_region(&mdev->core, VFMIG_REGION_TYPE,
						 VFMIG_REGION_SUBTYPE_DIRTY,
						 &vfmig_dirty_regops,
						 VFMIG_DIRTY_REGION_SIZE,
						 VFIO_REGION_INFO_FLAG_READ |
						 VFIO_REGION_INFO_FLAG_WRITE,
						 NULL);
}

/**
 * vfmig_dirty_close() - the last user closed the device: stop logging
 * @mdev: the device
 */
void vfmig_dirty_close(struct vfmig_device *mdev)
{
	mutex_lock(&mdev->dirty.lock);
	vfmig_dirty_stop_locked(mdev);
	mutex_unlock(&mdev->dirty.lock);
}
