/* cli.c — see cli.h. getopt_long does the walking (clusters, "--name=value", abbreviations,
 * operands anywhere, "--"); this file only decides which rows it is shown, stores the typed
 * values and turns its '?' and ':' into messages a user can act on. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "parse.h"

/* getopt_long's value for a row without a short name: above every character. */
#define LONG_ONLY_BASE 1000

const cr_command *cr_command_find(const cr_command *commands, const char *name)
{
    for (const cr_command *c = commands; name && c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static int takes_value(const cr_option *row)
{
    return row->kind == CR_OPT_CALL ? row->has_value
                                    : row->kind != CR_OPT_SET && row->kind != CR_OPT_COUNT;
}

void cr_cli_init(cr_cli *cli, const char *program, const char *command, unsigned command_bit,
                 const cr_option *options, void *values, int argc, char **argv)
{
    memset(cli, 0, sizeof *cli);
    cli->program = program;
    cli->command = command;
    cli->values = values;
    cli->argc = argc;
    cli->argv = argv;
    cli->all = options;
    /* ':' first: a missing value comes back as ':', told apart from an unknown option */
    size_t shorts = 0, count = 0;
    cli->shorts[shorts++] = ':';
    for (const cr_option *row = options; row->name; row++) {
        if (!(row->commands & command_bit))
            continue;
        if (count == CR_CLI_MAX_OPTIONS) { /* a table too long for this file: said, not cut */
            cli->too_many = 1;
            break;
        }
        int has_arg = takes_value(row) ? required_argument : no_argument;
        cli->rows[count] = row;
        cli->longs[count] =
            (struct option){row->name, has_arg, NULL,
                            row->short_name ? row->short_name : LONG_ONLY_BASE + (int)count};
        if (row->short_name && !strchr(cli->shorts, row->short_name)) {
            cli->shorts[shorts++] = (char)row->short_name;
            if (has_arg)
                cli->shorts[shorts++] = ':';
        }
        count++;
    }
    cli->longs[count] = (struct option){0, 0, 0, 0};
    cli->shorts[shorts] = '\0';
    optind = 0; /* GNU getopt: start afresh (a program may parse twice, a test many times) */
    opterr = 0; /* the messages are ours */
}

/* The row getopt_long answered with `value`: by its short name or its position. */
static const cr_option *row_for(const cr_cli *cli, int value)
{
    if (value >= LONG_ONLY_BASE)
        return cli->rows[value - LONG_ONLY_BASE];
    for (int i = 0; cli->longs[i].name; i++)
        if (cli->rows[i]->short_name == value)
            return cli->rows[i];
    return NULL;
}

/* An option this command does not know: another command's, or nobody's. */
static int refuse_unknown(cr_cli *cli, cr_err *err)
{
    const char *word = optind > 0 && optind <= cli->argc ? cli->argv[optind - 1] : "?";
    char name[64] = "";
    const cr_option *known = NULL;
    int is_long = strncmp(word, "--", 2) == 0;
    if (!is_long && optopt && optopt < LONG_ONLY_BASE) { /* "-x", or x inside "-qx" */
        snprintf(name, sizeof name, "-%c", optopt);
        for (const cr_option *row = cli->all; row->name && !known; row++)
            if (row->short_name == optopt)
                known = row;
    } else {
        const char *start = word + strspn(word, "-");
        size_t len = strcspn(start, "=");
        snprintf(name, sizeof name, "--%.*s", (int)(len < 60 ? len : 60), start);
        for (const cr_option *row = cli->all; row->name && !known; row++)
            if (strlen(row->name) == len && strncmp(row->name, start, len) == 0)
                known = row;
    }
    if (is_long && strchr(word, '=') && optopt && row_for(cli, optopt)) /* "--json=1" */
        return cr_fail(err, CR_EUSAGE, "%s takes no value (see %s --help)", name, cli->program);
    if (known && cli->command)
        return cr_fail(err, CR_EUSAGE, "%s does not take %s (see %s --help)", cli->command, name,
                       cli->program);
    return cr_fail(err, CR_EUSAGE, "unknown option %s (see %s --help)", name, cli->program);
}

static int store(cr_cli *cli, const cr_option *row, cr_err *err)
{
    char *field = (char *)cli->values + row->offset;
    int code = CR_OK;
    long whole;
    switch (row->kind) {
    case CR_OPT_TEXT:
        *(const char **)field = cli->arg;
        break;
    case CR_OPT_SET:
        *(int *)field = (int)row->min;
        break;
    case CR_OPT_COUNT:
        (*(int *)field)++;
        break;
    case CR_OPT_INT:
    case CR_OPT_LONG:
        code = cr_parse_long(cli->arg, (long)row->min, (long)row->max, &whole, err);
        if (!code && row->kind == CR_OPT_INT)
            *(int *)field = (int)whole;
        else if (!code)
            *(long *)field = whole;
        break;
    case CR_OPT_DOUBLE:
        code = cr_parse_double(cli->arg, row->min, row->max, (double *)field, err);
        break;
    case CR_OPT_CALL:
        break;
    }
    if (code) /* say whose value it was: "--threads: 0 is out of range (1..64)" */
        return cr_err_context(err, "--%s", row->name);
    return CR_OK;
}

int cr_cli_next(cr_cli *cli, cr_err *err)
{
    if (cli->too_many) {
        cr_fail(err, CR_EOTHER, "%s: more than %d options for one command (lib/cli.h)",
                cli->program, CR_CLI_MAX_OPTIONS);
        return -1;
    }
    for (;;) {
        int value = getopt_long(cli->argc, cli->argv, cli->shorts, cli->longs, NULL);
        cli->arg = optarg;
        cli->name = NULL;
        if (value == -1)
            return 0;
        if (value == '?') {
            refuse_unknown(cli, err);
            return -1;
        }
        if (value == ':') {
            const cr_option *row = row_for(cli, optopt);
            cr_fail(err, CR_EUSAGE, "--%s needs a value (see %s --help)", row ? row->name : "?",
                    cli->program);
            return -1;
        }
        const cr_option *row = row_for(cli, value);
        if (!row) { /* cannot happen: getopt_long answers with what it was given */
            cr_fail(err, CR_EUSAGE, "unknown option (see %s --help)", cli->program);
            return -1;
        }
        cli->name = row->name;
        if (row->kind == CR_OPT_CALL)
            return row->id;
        if (store(cli, row, err))
            return -1;
    }
}

int cr_cli_operand_index(const cr_cli *cli)
{
    (void)cli;
    return optind;
}

const char *cr_cli_take_word(cr_cli *cli)
{
    if (optind >= cli->argc)
        return NULL;
    return cli->argv[optind++];
}

int cr_cli_info_id(const char *word)
{
    if (strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0)
        return CR_CLI_HELP;
    if (strcmp(word, "-V") == 0 || strcmp(word, "--version") == 0)
        return CR_CLI_VERSION;
    return 0;
}

void cr_cli_print_info(int id, const char *program, const char *usage)
{
    if (id == CR_CLI_HELP)
        fputs(usage, stdout);
    else
        printf("%s %s\n", program, CR_VERSION);
}
