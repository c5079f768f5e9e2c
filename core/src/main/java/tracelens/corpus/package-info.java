/** Reading texts and their source labels from users' files and built-in corpora. */
package tracelens.corpus;
