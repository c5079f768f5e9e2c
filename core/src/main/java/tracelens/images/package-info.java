/** Labelled image folders (one sub-folder per class, as torchvision's ImageFolder) read and written losslessly. */
package tracelens.images;
