/* adamw_impl.h — the AdamW loop, compiled by adamw.c (portable) and adamw_avx512.c (AVX-512,
 * -ffp-contract=off so that no multiply-add is fused: the same bits as the portable loop). */
void ADAMW_NAME(float *restrict params, float *restrict m_all, float *restrict v_all,
                const float *restrict grad, size_t n, const adamw_step *s)
{
    float b1 = s->beta1, b2 = s->beta2, eps = s->eps, lr = s->lr, wd = s->weight_decay;
    float clip = s->clip_scale, bias1 = s->bias1, bias2 = s->bias2;
    for (size_t i = 0; i < n; i++) {
        float g = grad[i] * clip;
        float m = b1 * m_all[i] + (1.0f - b1) * g;
        float v = b2 * v_all[i] + (1.0f - b2) * g * g;
        m_all[i] = m;
        v_all[i] = v;
        float m_hat = m / bias1, v_hat = v / bias2;
        params[i] -= lr * (m_hat / (sqrtf(v_hat) + eps) + wd * params[i]);
    }
}
