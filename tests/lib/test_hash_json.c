/* Unit tests of lib/hash.c (SHA-256 test vectors, ids) and lib/json.c + lib/buf.c (escaping,
 * nesting, invalid UTF-8, non-finite numbers). */
#include "buf.h"
#include "check.h"
#include "fs.h"
#include "hash.h"
#include "json.h"

TEST(sha256_known_vectors)
{
    char hex[CR_SHA256_HEX_SIZE];
    cr_sha256_hex("abc", 3, hex);
    CHECK_STR_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cr_sha256_hex("", 0, hex);
    CHECK_STR_EQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(sha256_streaming_equals_one_shot)
{
    const char *text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    cr_sha256 h;
    CHECK_INT_EQ(cr_sha256_begin(&h, NULL), CR_OK);
    cr_sha256_update(&h, text, 10);
    cr_sha256_update(&h, text + 10, strlen(text) - 10);
    uint8_t digest[32];
    cr_sha256_end(&h, digest);
    char hex[CR_SHA256_HEX_SIZE];
    cr_hex_encode(digest, 32, hex);
    CHECK_STR_EQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(sha256_of_file)
{
    char *dir = check_tmpdir();
    char path[512], hex[CR_SHA256_HEX_SIZE];
    snprintf(path, sizeof path, "%s/f", dir);
    cr_write_file_atomic(path, "abc", 3, NULL);
    CHECK_INT_EQ(cr_sha256_file_hex(path, hex, NULL), CR_OK);
    CHECK_STR_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    snprintf(path, sizeof path, "%s/none", dir);
    CHECK_INT_EQ(cr_sha256_file_hex(path, hex, NULL), CR_ENOINPUT);
    check_rm_rf(dir);
}

TEST(ids_are_hashes_not_text)
{
    char id[CR_ID_SIZE], other[CR_ID_SIZE];
    cr_id_from_key("http://example.com/../../etc/passwd", id);
    CHECK_INT_EQ(strlen(id), 32);
    CHECK(strspn(id, "0123456789abcdef") == 32);
    cr_id_from_key("abc", other);
    CHECK_STR_EQ(other, "ba7816bf8f01cfea414140de5dae2223"); /* first 16 bytes of SHA-256 */
}

TEST(json_object_with_escapes)
{
    cr_buf out;
    cr_buf_init(&out);
    cr_json j;
    cr_json_init(&j, &out);
    cr_json_object_begin(&j);
    cr_json_kv_string(&j, "url", "http://x/\"q\"\\");
    cr_json_kv_int(&j, "status", 200);
    cr_json_key(&j, "tags");
    cr_json_array_begin(&j);
    cr_json_string(&j, "a\nb\tc\x01");
    cr_json_int(&j, -3);
    cr_json_object_begin(&j);
    cr_json_object_end(&j);
    cr_json_array_end(&j);
    cr_json_kv_double(&j, "loss", 0.5);
    cr_json_kv_double(&j, "nan", NAN);
    cr_json_kv_bool(&j, "ok", 1);
    cr_json_kv_string(&j, "none", NULL);
    cr_json_object_end(&j);
    CHECK_STR_EQ(out.data, "{\"url\":\"http://x/\\\"q\\\"\\\\\",\"status\":200,"
                           "\"tags\":[\"a\\nb\\tc\\u0001\",-3,{}],\"loss\":0.5,\"nan\":null,"
                           "\"ok\":true,\"none\":null}");
    cr_buf_free(&out);
}

TEST(json_invalid_utf8_becomes_replacement)
{
    cr_buf out;
    cr_buf_init(&out);
    cr_json_escape(&out, "caf\xc3\xa9 \xff \xed\xa0\x80 \xe2\x82", 14);
    CHECK_STR_EQ(out.data, "\"caf\xc3\xa9 \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
                           "\xef\xbf\xbd\xef\xbf\xbd\"");
    cr_buf_free(&out);
}

TEST(buf_grows_and_formats)
{
    cr_buf b;
    cr_buf_init(&b);
    for (int i = 0; i < 1000; i++)
        cr_buf_printf(&b, "%d,", i);
    CHECK(b.len > 3000);
    CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
    CHECK(!b.failed);
    cr_buf_reset(&b);
    CHECK_INT_EQ(b.len, 0);
    char big[1000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = 0;
    cr_buf_printf(&b, "<%s>", big);
    CHECK_INT_EQ(b.len, 1001);
    cr_buf_free(&b);
}

int main(void)
{
    RUN(sha256_known_vectors);
    RUN(sha256_streaming_equals_one_shot);
    RUN(sha256_of_file);
    RUN(ids_are_hashes_not_text);
    RUN(json_object_with_escapes);
    RUN(json_invalid_utf8_becomes_replacement);
    RUN(buf_grows_and_formats);
    return check_summary();
}
