/** Source identification: telling from a frozen model's hidden states which source a text came from. */
package tracelens.sip;
