/** Training losses shared by fine-tuning: the supervised contrastive loss. */
package tracelens.losses;
