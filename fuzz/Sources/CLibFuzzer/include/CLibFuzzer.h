// libFuzzer's own driver, for executables whose main function is Swift's (SwiftPM renames and
// links it as `main` in debug builds, so libFuzzer's `main` cannot be used).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*testOneInput)(const uint8_t *data, size_t size));
