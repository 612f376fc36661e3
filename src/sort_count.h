/*
 * Stable bottom-up merge sort that counts strict inversions, for one
 * record type: stats.c includes this once per type, after defining
 *
 *   SC_T               the record type
 *   SC_KEY(r)          its uint64_t key
 *   SC_CHOOSE(d, s, a, b)  d = s ? a : b, without a branch
 *   SC_FN(name)        the name each function gets for this type
 *
 * and the macros are undefined at the end.  No include guard on purpose.
 */

/* The rest of a merge once one side is used up, from dst[k] on. */
static inline void
SC_FN(copy_rest)(const SC_T *src, SC_T *dst, size_t i, size_t mid,
		size_t j, size_t hi, size_t k)
{
	while (i < mid)
		dst[k++] = src[i++];
	while (j < hi)
		dst[k++] = src[j++];
}

/*
 * Merges src[lo..mid) and src[mid..hi) into dst by key (ties from the
 * left first) and returns the strict inversions.  The side taken is
 * chosen by arithmetic (on noisy keys the winner is random, so a branch
 * would mispredict half the time), so each step waits for the one before:
 * two independent merges, the smallest from the front and the largest
 * from the back, halve that wait.  That needs halves of equal size; the
 * last, shorter block of a level merges from the front only.  A right
 * element that lands at position pos from position js jumped over
 * js - pos left elements: those are its inversions.
 */
static int64_t
SC_FN(merge_keys)(const SC_T *src, SC_T *dst, size_t lo, size_t mid,
		size_t hi)
{
	size_t w = mid - lo;
	int64_t inv = 0;

	if (hi - mid != w) {
		size_t i = lo, j = mid, k = lo;
		while (i < mid && j < hi) {
			bool right = SC_KEY(src[j]) < SC_KEY(src[i]);
			inv += (int64_t)(mid - i) & -(int64_t)right;
			dst[k++] = src[right ? j : i];
			j += right;
			i += !right;
		}
		SC_FN(copy_rest)(src, dst, i, mid, j, hi, k);
		return inv;
	}
	/* With w steps from each end no index leaves its half. */
	size_t i = lo, j = mid, k = lo, bi = mid - 1, bj = hi - 1, bk = bj;
	int64_t pos = 0;
	for (size_t step = 0; step < w; step++) {
		bool right = SC_KEY(src[j]) < SC_KEY(src[i]);
		dst[k] = src[right ? j : i];
		pos += (int64_t)k & -(int64_t)right;
		k++;
		j += right;
		i += !right;

		bool left = SC_KEY(src[bj]) < SC_KEY(src[bi]);
		dst[bk] = src[left ? bi : bj];
		pos += (int64_t)bk & -(int64_t)!left;
		bk--;
		bi -= left;
		bj -= !left;
	}
	/* Sum of the right half's source positions, mid .. hi-1. */
	int64_t from = (int64_t)w * (int64_t)(mid + hi - 1) / 2;
	return from - pos;
}

/*
 * Orders x before y if y's key is smaller (a stable step: equal keys stay)
 * and returns whether they were swapped, which is one inversion, without
 * a branch (SC_CHOOSE).
 */
static inline int64_t
SC_FN(swap_if_less)(SC_T *x, SC_T *y)
{
	SC_T a = *x, b = *y;
	bool s = SC_KEY(b) < SC_KEY(a);
	SC_CHOOSE(*x, s, b, a);
	SC_CHOOSE(*y, s, a, b);
	return s;
}

/*
 * Sorts each block of 4 of a[0..n) (and the shorter tail) with swaps of
 * neighbours only (odd-even transposition), which keeps equal keys in
 * order and counts each inversion as one swap: cheaper than the two
 * merge levels it replaces.
 */
static int64_t
SC_FN(sort_blocks_of_4)(SC_T *a, size_t n)
{
	int64_t inv = 0;
	size_t q = n - n % 4;
	for (size_t b = 0; b < q; b += 4) {
		SC_T *x = a + b;
		inv += SC_FN(swap_if_less)(&x[0], &x[1]) + SC_FN(swap_if_less)(&x[2], &x[3]);
		inv += SC_FN(swap_if_less)(&x[1], &x[2]);
		inv += SC_FN(swap_if_less)(&x[0], &x[1]) + SC_FN(swap_if_less)(&x[2], &x[3]);
		inv += SC_FN(swap_if_less)(&x[1], &x[2]);
	}
	/* The tail, up to 3: bubble sort. */
	for (size_t pass = q; pass + 1 < n; pass++)
		for (size_t i = q; i + 1 < n; i++)
			inv += SC_FN(swap_if_less)(&a[i], &a[i + 1]);
	return inv;
}

/*
 * Stable bottom-up merge sort of a[0..n) by key (tmp: n more) that
 * counts strict inversions.  The sorted records end up in a.
 */
static int64_t
SC_FN(sort_count_keys)(SC_T *a, SC_T *tmp, size_t n)
{
	SC_T *src = a, *dst = tmp;
	int64_t inv = SC_FN(sort_blocks_of_4)(a, n);

	for (size_t w = 4; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = n - lo > w ? lo + w : n;
			size_t hi = n - mid > w ? mid + w : n;
			inv += SC_FN(merge_keys)(src, dst, lo, mid, hi);
		}
		SC_T *swap = src;
		src = dst;
		dst = swap;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
	return inv;
}

#undef SC_T
#undef SC_KEY
#undef SC_CHOOSE
#undef SC_FN
