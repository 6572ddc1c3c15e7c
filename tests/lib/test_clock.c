/* test_clock.c — lib/clock.c: the UTC stamp written into notifications and .error files, and
 * the deadlines built for pthread_cond_timedwait. */
#include <string.h>
#include <time.h>

#include "check.h"
#include "clock.h"

TEST(the_utc_stamp_is_iso_8601_and_now)
{
    time_t before = time(NULL);
    char when[32];
    cr_wall_iso(when);
    time_t after = time(NULL);
    CHECK_INT_EQ(strlen(when), 20);
    CHECK(when[4] == '-' && when[7] == '-' && when[10] == 'T' && when[13] == ':' &&
          when[16] == ':' && when[19] == 'Z');
    struct tm tm = {0};
    CHECK(strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm) == when + 20);
    time_t stamped = timegm(&tm);
    CHECK(stamped >= before && stamped <= after);
}

TEST(a_deadline_lies_ahead_by_the_wait)
{
    int64_t now = cr_wall_ms();
    struct timespec until = cr_wall_after_ms(1500);
    int64_t at = (int64_t)until.tv_sec * 1000 + until.tv_nsec / 1000000;
    CHECK(until.tv_nsec >= 0 && until.tv_nsec < 1000000000L);
    CHECK(at >= now + 1500 && at < now + 1500 + 1000);
}

int main(void)
{
    RUN(the_utc_stamp_is_iso_8601_and_now);
    RUN(a_deadline_lies_ahead_by_the_wait);
    return check_summary();
}
