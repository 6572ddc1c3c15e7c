/* test_budget_rule.c — the shape a budget buys (budget.c): the ladder is a valid, growing set
 * of GPT-2 shapes; the choice is the largest rung whose estimated epochs reach its minimum,
 * never a rung whose batch the data cannot fill, never smaller for a longer budget; and past
 * the rung's epoch ceiling the steps are capped. The trainer end to end: test_budget.sh,
 * test_budget_shape.sh. */
#include "budget.h"
#include "check.h"
#include "model.h"

enum { VOCAB = 2048 };
static const uint64_t bench_tokens = 103915; /* the quality bench's training tokens */

static double flops_per_token(int rung)
{
    gpt2_config cfg = budget_shape_config(&budget_ladder[rung], VOCAB);
    return gpt2_flops_per_token(&cfg, cfg.max_seq_len);
}

/* The seconds at which rung k's estimated epochs are exactly `epochs`, for rung 0 at 20,000
 * tokens/s. */
static double seconds_for(int rung, double epochs)
{
    double tokens_per_s = 20000.0 * flops_per_token(0) / flops_per_token(rung);
    return epochs * (double)bench_tokens / tokens_per_s;
}

static void the_ladder_is_valid_and_grows(void)
{
    CHECK(budget_ladder_count >= 2);
    for (int i = 0; i < budget_ladder_count; i++) {
        const budget_shape *s = &budget_ladder[i];
        gpt2_config cfg = budget_shape_config(s, VOCAB);
        cr_err err;
        CHECK_INT_EQ(gpt2_config_check(&cfg, &err), CR_OK);
        CHECK(s->epochs_max >= s->epochs_min && s->epochs_max > 0);
        CHECK_INT_EQ(budget_ladder_find(s->layers, s->channels, s->heads, s->seq_len, s->batch), i);
        if (i > 0)
            CHECK(flops_per_token(i) > flops_per_token(i - 1));
    }
    CHECK_INT_EQ(budget_ladder_find(2, 32, 4, 16, 12), -1);
    CHECK_INT_EQ(budget_ladder_find(4, 192, 6, 64, 24), -1); /* another batch: not the rung */
}

static void epoch_steps_round_up(void)
{
    CHECK_INT_EQ(budget_epoch_steps(15, bench_tokens, 12, 64), 2030); /* 15 x 103915 / 768 */
    CHECK_INT_EQ(budget_epoch_steps(1, 768, 12, 64), 1);
    CHECK_INT_EQ(budget_epoch_steps(1, 769, 12, 64), 2);
    CHECK_INT_EQ(budget_epoch_steps(0.001, 10, 12, 64), 1); /* never 0 */
}

static void a_short_budget_keeps_the_smallest_rung(void)
{
    budget_choice c = budget_choose(seconds_for(0, 3), 20000, bench_tokens, VOCAB);
    CHECK_INT_EQ(c.rung, 0);
    CHECK_NEAR(c.epochs, 3, 1e-9);
    CHECK_NEAR(c.tokens_per_s, 20000, 1e-9);
    CHECK_INT_EQ(c.capped, 0);
    /* no budget at all, no speed, no data: still rung 0, never a division by zero */
    CHECK_INT_EQ(budget_choose(0, 20000, bench_tokens, VOCAB).rung, 0);
    CHECK_INT_EQ(budget_choose(60, 0, bench_tokens, VOCAB).rung, 0);
    CHECK_INT_EQ(budget_choose(60, 20000, 0, VOCAB).rung, 0);
}

static void each_rung_is_chosen_from_its_minimum_epochs(void)
{
    for (int k = 1; k < budget_ladder_count; k++) {
        double at = seconds_for(k, budget_ladder[k].epochs_min);
        budget_choice above = budget_choose(at * 1.001, 20000, bench_tokens, VOCAB);
        budget_choice below = budget_choose(at * 0.999, 20000, bench_tokens, VOCAB);
        CHECK_INT_EQ(above.rung, k);
        CHECK_INT_EQ(below.rung, k - 1);
        CHECK_NEAR(above.epochs, budget_ladder[k].epochs_min * 1.001, 1e-6);
        CHECK_NEAR(above.tokens_per_s, 20000 * flops_per_token(0) / flops_per_token(k), 1e-6);
    }
}

static void a_longer_budget_never_buys_a_smaller_shape(void)
{
    int last = 0;
    for (double seconds = 1; seconds < 1e6; seconds *= 1.1) {
        budget_choice c = budget_choose(seconds, 20000, bench_tokens, VOCAB);
        CHECK(c.rung >= last);
        last = c.rung;
    }
    CHECK_INT_EQ(last, budget_ladder_count - 1);
}

static void past_the_ceiling_the_steps_are_capped(void)
{
    int top = budget_ladder_count - 1;
    const budget_shape *s = &budget_ladder[top];
    budget_choice c =
        budget_choose(seconds_for(top, s->epochs_max * 4), 20000, bench_tokens, VOCAB);
    CHECK_INT_EQ(c.rung, top);
    CHECK_INT_EQ(c.capped, 1);
    CHECK_INT_EQ(c.max_steps,
                 budget_epoch_steps(s->epochs_max, bench_tokens, s->batch, s->seq_len));
    c = budget_choose(seconds_for(top, s->epochs_max * 0.99), 20000, bench_tokens, VOCAB);
    CHECK_INT_EQ(c.rung, top);
    CHECK_INT_EQ(c.capped, 0);
}

static void a_rung_the_data_cannot_fill_is_never_chosen(void)
{
    /* enough data for rung 0's batch only: rung 0, capped, however long the budget */
    const budget_shape *s = &budget_ladder[0];
    uint64_t tokens = (uint64_t)s->batch * (uint64_t)s->seq_len + 200;
    CHECK(tokens < (uint64_t)budget_ladder[1].batch * (uint64_t)budget_ladder[1].seq_len + 1);
    budget_choice c = budget_choose(3600, 20000, tokens, VOCAB);
    CHECK_INT_EQ(c.rung, 0);
    CHECK_INT_EQ(c.capped, 1);
    CHECK_INT_EQ(c.max_steps, budget_epoch_steps(s->epochs_max, tokens, s->batch, s->seq_len));
}

int main(void)
{
    RUN(the_ladder_is_valid_and_grows);
    RUN(epoch_steps_round_up);
    RUN(a_short_budget_keeps_the_smallest_rung);
    RUN(each_rung_is_chosen_from_its_minimum_epochs);
    RUN(a_longer_budget_never_buys_a_smaller_shape);
    RUN(past_the_ceiling_the_steps_are_capped);
    RUN(a_rung_the_data_cannot_fill_is_never_chosen);
    return check_summary();
}
