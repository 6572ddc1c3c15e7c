/* fuzz_yaml.c — pipeline.yaml through the orchestrator's loader (orchestrator/config.c,
 * config_parse from memory): any bytes give a config or a CR_EDATA message, never a crash or
 * a leak. Whether programs and folders exist (config_check) is not fuzzed: it touches the disk. */
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pipeline_config config;
    cr_err err = {0};
    if (config_parse(&config, "/fuzz/pipeline.yaml", (const char *)data, size, &err) == CR_OK) {
        for (int i = 0; i < config.stage_count; i++)
            if (config_stage(&config, config.stages[i].name) == NULL)
                abort();
        config_free(&config);
    } else if (!err.msg[0]) {
        abort(); /* an error must say what is wrong */
    }
    return 0;
}
