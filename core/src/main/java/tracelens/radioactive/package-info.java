/**
 * Training-data tracing (radioactive.md): the statistics that turn marks into p-values a data owner can defend.
 */
package tracelens.radioactive;
