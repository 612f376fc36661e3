/*
 * Messages about the input: notes and warnings are capped, errors never
 * are (each is an input left out, which --strict and the report count),
 * and every message is counted whether or not it is kept.
 */
#include <string.h>

#include "pooltrend/diag.h"
#include "testutil.h"

START_TEST(errors_are_kept_past_the_cap)
{
	struct pt_diags d;
	pt_diags_init(&d);
	for (int i = 0; i < PT_DIAGS_MAX + 200; i++)
		pt_diags_add(&d, i % 2 ? PT_SEV_NOTE : PT_SEV_WARNING, "a.txt",
			i + 1, "message %d", i);
	pt_diags_add(&d, PT_SEV_ERROR, "late.txt", 0, "no snapshot");
	ck_assert_uint_eq(d.len, PT_DIAGS_MAX + 1);
	ck_assert_uint_eq(d.dropped, 200);
	ck_assert_str_eq(d.items[d.len - 1].file, "late.txt");
	ck_assert_int_eq(d.items[d.len - 1].severity, PT_SEV_ERROR);
	ck_assert_uint_eq(pt_diags_count(&d, PT_SEV_ERROR), 1);
	ck_assert_uint_eq(pt_diags_count(&d, PT_SEV_NOTE), (PT_DIAGS_MAX + 200) / 2);
	ck_assert_uint_eq(pt_diags_count(&d, PT_SEV_WARNING), (PT_DIAGS_MAX + 200) / 2);
	pt_diags_finish(&d);
}
END_TEST

START_TEST(move_keeps_order_counts_and_errors)
{
	struct pt_diags dst, src;
	pt_diags_init(&dst);
	pt_diags_init(&src);
	for (int i = 0; i < PT_DIAGS_MAX - 1; i++)
		pt_diags_add(&dst, PT_SEV_NOTE, "first.txt", 0, "note %d", i);
	pt_diags_add(&src, PT_SEV_WARNING, "second.txt", 3, "kept");
	pt_diags_add(&src, PT_SEV_WARNING, "second.txt", 4, "past the cap");
	pt_diags_add(&src, PT_SEV_ERROR, "second.txt", 0, "left out");
	pt_diags_move(&dst, &src);
	ck_assert_uint_eq(src.len, 0);
	ck_assert_uint_eq(dst.len, PT_DIAGS_MAX + 1);
	ck_assert_uint_eq(dst.dropped, 1);
	ck_assert_str_eq(dst.items[PT_DIAGS_MAX - 1].msg, "kept");
	ck_assert_str_eq(dst.items[PT_DIAGS_MAX].msg, "left out");
	ck_assert_uint_eq(pt_diags_count(&dst, PT_SEV_WARNING), 2);
	ck_assert_uint_eq(pt_diags_count(&dst, PT_SEV_ERROR), 1);
	ck_assert_uint_eq(pt_diags_count(&dst, PT_SEV_NOTE), PT_DIAGS_MAX - 1);
	pt_diags_finish(&dst);
}
END_TEST

static Suite *
diag_suite(void)
{
	Suite *s = suite_create("diag");
	TCase *tc = tcase_create("cap");
	tcase_add_test(tc, errors_are_kept_past_the_cap);
	tcase_add_test(tc, move_keeps_order_counts_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pt_test_run(diag_suite());
}
