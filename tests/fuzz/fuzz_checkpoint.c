/* fuzz_checkpoint.c — a model file (llm.c's format) through the trainer's checkpoint reader
 * (trainer/model.c): the header's shape is checked before anything is allocated, so any
 * bytes are refused with a message or read whole. The state file beside it is fuzz_state.c. */
#include "fuzz.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200];
    fuzz_write_file("model_1.bin", data, size, path, sizeof path);
    gpt2_config cfg;
    cr_err err = {0};
    float *params = NULL;
    if (gpt2_checkpoint_read(path, &cfg, &params, &err) == CR_OK) {
        size_t sizes[GPT2_NUM_TENSORS];
        if (GPT2_HEADER_INTS * 4 + gpt2_tensor_sizes(&cfg, sizes) * sizeof(float) != size)
            abort(); /* accepted a file whose size the header does not explain */
        free(params);
    } else if (!err.msg[0]) {
        abort();
    }
    gpt2_checkpoint_read_config(path, &cfg, &err);
    return 0;
}
