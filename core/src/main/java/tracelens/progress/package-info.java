/** Progress reporting from library code to whatever front end draws it. */
package tracelens.progress;
