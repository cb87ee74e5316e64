/*
 * test_sha256.c - base/sha256.c: the FIPS 180-2 appendix B examples
 * ("abc", the 448-bit message, a million 'a'), the empty message, and
 * agreement with libcrypto's SHA-256 on every length from 0 to 300 bytes
 * (every padding case: the length field in the last block or in one more),
 * fed whole and in uneven pieces.
 */
#include <openssl/evp.h>
#include <string.h>

#include "base/sha256.h"
#include "tests/testutil.h"

void suite_sha256(void);

static void hex_of(const char *s, char hex[65])
{
    fl_sha256_hex(s, strlen(s), hex);
}

static void test_vectors(void)
{
    char hex[65];
    hex_of("", hex);
    CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", hex);
    CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", hex);
    CU_ASSERT_STRING_EQUAL(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* a million 'a', fed 1000 at a time */
    char a[1000];
    memset(a, 'a', sizeof a);
    struct fl_sha256 c;
    fl_sha256_init(&c);
    for (int i = 0; i < 1000; i++) fl_sha256_update(&c, a, sizeof a);
    fl_sha256_final_hex(&c, hex);
    CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_same_as_libcrypto(void)
{
    uint8_t data[300];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < sizeof data; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        data[i] = (uint8_t)(x >> 56);
    }
    for (size_t len = 0; len <= sizeof data; len++) {
        unsigned char want[EVP_MAX_MD_SIZE];
        unsigned want_len = 0;
        CU_ASSERT_FATAL(EVP_Digest(data, len, want, &want_len, EVP_sha256(), NULL) == 1);
        CU_ASSERT_EQUAL(want_len, FL_SHA256_BYTES);
        /* whole */
        struct fl_sha256 c;
        uint8_t got[FL_SHA256_BYTES];
        fl_sha256_init(&c);
        fl_sha256_update(&c, data, len);
        fl_sha256_final(&c, got);
        CU_ASSERT_EQUAL(memcmp(got, want, FL_SHA256_BYTES), 0);
        /* in pieces of 1, 2, 3 ... bytes (crossing every block boundary differently) */
        fl_sha256_init(&c);
        for (size_t at = 0, piece = 1 + len % 7; at < len; at += piece, piece = piece % 67 + 1)
            fl_sha256_update(&c, data + at, at + piece <= len ? piece : len - at);
        fl_sha256_final(&c, got);
        CU_ASSERT_EQUAL(memcmp(got, want, FL_SHA256_BYTES), 0);
    }
}

void suite_sha256(void)
{
    TEST_SUITE("sha256");
    TEST_ADD(test_vectors);
    TEST_ADD(test_same_as_libcrypto);
}
