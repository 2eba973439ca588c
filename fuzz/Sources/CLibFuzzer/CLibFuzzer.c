// The declaration in include/CLibFuzzer.h is all; libFuzzer itself comes with -sanitize=fuzzer.
#include "CLibFuzzer.h"
