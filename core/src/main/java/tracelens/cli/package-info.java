/** The command line: one class per subcommand, shared options as mixins, errors mapped to exit codes. */
package tracelens.cli;
