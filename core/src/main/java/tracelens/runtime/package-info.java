/** DJL engine set-up: offline natives, cache folder and thread counts. */
package tracelens.runtime;
