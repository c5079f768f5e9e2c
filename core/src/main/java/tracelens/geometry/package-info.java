/** Representation geometry: IsoScore, IsoScore*, cosine measures, intrinsic dimension. */
package tracelens.geometry;
