/* cli.h — the one shape of every program's command line (git's): a table of subcommands, and
 * a table of options in which each row says which subcommands take it. cr_cli_next walks argv
 * with getopt_long over the rows of one subcommand only, so an option that does not apply is
 * refused (exit 2) with a message naming the option and the subcommand. Typed rows (numbers
 * with their range, text, flags) are stored straight into the program's options struct; the
 * others are handed back to the caller by id. It never prints usage and never exits: main does.
 * The flag convention it serves (SPEC.md, docs/ARCHITECTURE.md "Command lines"):
 * -o/--out where a command writes, -q/--quiet, -v/--verbose, --json, --progress, -h/--help,
 * -V/--version. */
#ifndef CR_CLI_H
#define CR_CLI_H

#include <getopt.h>
#include <stddef.h>

#include "status.h"

/* A program's subcommand: its name, the bit its option rows are marked with, and what runs
 * it once the options are parsed into the program's options struct (`args`). run returns an
 * exit code from status.h; err holds the message when it is not 0 and err->code is set. */
typedef struct cr_command {
    const char *name;
    unsigned bit;
    int (*run)(void *args, cr_err *err);
} cr_command;

/* The row named `name` in a table ended by a row with a NULL name; NULL when there is none. */
const cr_command *cr_command_find(const cr_command *commands, const char *name);

#define CR_ANY_COMMAND (~0u) /* an option every subcommand takes (or a program without them) */

typedef enum cr_option_kind {
    CR_OPT_CALL,   /* handed back by cr_cli_next with its id (and cli->arg when it takes one) */
    CR_OPT_TEXT,   /* const char *: the argument itself */
    CR_OPT_SET,    /* int: set to `min` (a flag: min 1) */
    CR_OPT_COUNT,  /* int: one more each time (-v -v) */
    CR_OPT_INT,    /* int within [min, max] */
    CR_OPT_LONG,   /* long within [min, max] */
    CR_OPT_DOUBLE, /* double within [min, max] */
} cr_option_kind;

typedef struct cr_option {
    const char *name;  /* long name without "--" */
    int short_name;    /* 'o' for -o; 0 for none */
    unsigned commands; /* the cr_command bits of the subcommands that take it */
    cr_option_kind kind;
    int id;        /* CR_OPT_CALL: what cr_cli_next returns (> 0) */
    int has_value; /* CR_OPT_CALL: 1 when it takes an argument (the typed kinds know) */
    size_t offset; /* the typed kinds: where the value goes in the options struct */
    double min, max;
} cr_option;

/* One-line rows: {"lr", 0, TRAIN, CR_DOUBLE(args, train.lr, 0, 10)}. */
#define CR_CALL(id, has_value) CR_OPT_CALL, (id), (has_value), 0, 0, 0
#define CR_TEXT(type, field) CR_OPT_TEXT, 0, 1, offsetof(type, field), 0, 0
#define CR_SET(type, field, value) CR_OPT_SET, 0, 0, offsetof(type, field), (value), 0
#define CR_FLAG(type, field) CR_SET(type, field, 1)
#define CR_COUNT(type, field) CR_OPT_COUNT, 0, 0, offsetof(type, field), 0, 0
#define CR_INT(type, field, lo, hi) CR_OPT_INT, 0, 1, offsetof(type, field), (lo), (hi)
#define CR_LONG(type, field, lo, hi) CR_OPT_LONG, 0, 1, offsetof(type, field), (lo), (hi)
#define CR_DOUBLE(type, field, lo, hi) CR_OPT_DOUBLE, 0, 1, offsetof(type, field), (lo), (hi)

/* The ids of the -h and -V rows: main prints (cr_cli_print_info) and exits 0. */
enum { CR_CLI_HELP = 10000, CR_CLI_VERSION };

/* The rows every program ends its table with: the same letters and meanings everywhere. */
/* clang-format off */
#define CR_COMMON_OPTIONS(type, quiet, verbose)                                                    \
    {"quiet", 'q', CR_ANY_COMMAND, CR_FLAG(type, quiet)},                                          \
    {"verbose", 'v', CR_ANY_COMMAND, CR_COUNT(type, verbose)},                                     \
    {"help", 'h', CR_ANY_COMMAND, CR_CALL(CR_CLI_HELP, 0)},                                        \
    {"version", 'V', CR_ANY_COMMAND, CR_CALL(CR_CLI_VERSION, 0)}
/* clang-format on */

#define CR_CLI_MAX_OPTIONS 96

typedef struct cr_cli {
    const char *program; /* for messages: "trainer" */
    const char *command; /* "info"; NULL for a program without subcommands */
    void *values;        /* the options struct typed rows are stored into */
    int argc;
    char **argv;
    const char *arg;  /* the argument of the option cr_cli_next just returned (or NULL) */
    const char *name; /* its long name, for messages ("--steps: ...") */
    int too_many;     /* more rows for this command than CR_CLI_MAX_OPTIONS */
    /* what getopt_long is given: the rows of this command only */
    const cr_option *all;
    const cr_option *rows[CR_CLI_MAX_OPTIONS];
    struct option longs[CR_CLI_MAX_OPTIONS + 1];
    char shorts[2 + 2 * CR_CLI_MAX_OPTIONS + 1];
} cr_cli;

/* Prepares to parse argv (argv[0]: the program or the command's name; options from argv[1])
 * for the command whose bit is `command_bit` (CR_ANY_COMMAND without subcommands). `options`
 * ends with a row with a NULL name. Options and operands may come in any order ("--" ends
 * the options). */
void cr_cli_init(cr_cli *cli, const char *program, const char *command, unsigned command_bit,
                 const cr_option *options, void *values, int argc, char **argv);
/* The next option: > 0 is the id of a CR_OPT_CALL row (its argument in cli->arg); 0 means the
 * options are over and the operands are cli->argv[cr_cli_operand_index(cli)..argc-1]; < 0 is
 * an error in err (CR_EUSAGE): an unknown option, one of another subcommand, a missing value,
 * a value that does not parse or is out of range. */
int cr_cli_next(cr_cli *cli, cr_err *err);
int cr_cli_operand_index(const cr_cli *cli);
/* CR_CLI_HELP for "-h" or "--help", CR_CLI_VERSION for "-V" or "--version", else 0: what a
 * program's first argument asks before any command. */
int cr_cli_info_id(const char *word);
/* CR_CLI_HELP: the usage on stdout; CR_CLI_VERSION: "PROGRAM 0.1.0". */
void cr_cli_print_info(int id, const char *program, const char *usage);
/* The next word of argv as a further argument of the current option (tokenizer's
 * "--gpt2 ENCODER VOCAB"); NULL when there is none. */
const char *cr_cli_take_word(cr_cli *cli);

#endif
