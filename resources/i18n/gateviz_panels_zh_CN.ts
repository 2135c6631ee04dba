<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>CellDiagram</name>
    <message>
        <source>The cell drawn as a schematic, each gate coloured and labelled with the first pinned unit&apos;s value at the current step; with room, the formulas and the whole layer&apos;s gates at this step.</source>
        <translation>以示意图画出的单元：每个门按第一个已固定单元在当前时间步的值着色并标注；空间足够时，还显示公式以及整层在这一步的各个门。</translation>
    </message>
    <message>
        <source>from x_t: W x_t + b</source>
        <translation>来自 x_t：W x_t + b</translation>
    </message>
    <message>
        <source>from h_{t−1}: U h_{t−1} + b</source>
        <translation>来自 h_{t−1}：U h_{t−1} + b</translation>
    </message>
    <message>
        <source>whole layer at step {step}</source>
        <translation>整层，第 {step} 步</translation>
    </message>
    <message>
        <source>kept</source>
        <translation>保留</translation>
    </message>
    <message>
        <source>written</source>
        <translation>写入</translation>
    </message>
    <message>
        <source>new c_t</source>
        <translation>新的 c_t</translation>
    </message>
    <message>
        <source>new h_t</source>
        <translation>新的 h_t</translation>
    </message>
    <message>
        <source>{units} units; unit {unit} in its pin colour</source>
        <translation>{units} 个单元；单元 {unit} 以其固定颜色显示</translation>
    </message>
    <message>
        <source>; NaN in magenta</source>
        <translation>；NaN 为品红色</translation>
    </message>
    <message>
        <source>{cell} cell</source>
        <translation>{cell} 单元</translation>
    </message>
    <message>
        <source>update of unit {unit}</source>
        <translation>单元 {unit} 的更新</translation>
    </message>
    <message>
        <source>(unit {unit}, step {step})</source>
        <translation>（单元 {unit}，第 {step} 步）</translation>
    </message>
    <message>
        <source>no trace yet</source>
        <translation>尚无轨迹</translation>
    </message>
    <message>
        <source>intervention: replaced at step {step} (unit {unit}): {what}</source>
        <translation>干预：第 {step} 步（单元 {unit}）被替换：{what}</translation>
    </message>
    <message>
        <source>x_t = h_t of layer {layer}</source>
        <translation>x_t = 第 {layer} 层的 h_t</translation>
    </message>
    <message>
        <source> (encoder)</source>
        <translation>（编码器）</translation>
    </message>
    <message>
        <source> (decoder)</source>
        <translation>（解码器）</translation>
    </message>
    <message>
        <source> (masked)</source>
        <translation>（已掩蔽）</translation>
    </message>
    <message>
        <source>layer {layer} · {direction} · unit {unit} · step {step}</source>
        <translation>第 {layer} 层 · {direction} · 单元 {unit} · 第 {step} 步</translation>
    </message>
</context>
<context>
    <name>Export</name>
    <message>
        <source>compare {names}: step {step} of 0..{last}</source>
        <translation>比较 {names}：第 {step} 步（共 0..{last}）</translation>
    </message>
    <message>
        <source>layer {layer} {direction}</source>
        <translation>第 {layer} 层 {direction}</translation>
    </message>
    <message>
        <source>step {step} of 0..{last}</source>
        <translation>第 {step} 步（共 0..{last}）</translation>
    </message>
    <message>
        <source>dashboard</source>
        <translation>仪表板</translation>
    </message>
    <message>
        <source>io</source>
        <translation>输入与输出</translation>
    </message>
    <message>
        <source>heatmaps</source>
        <translation>门控热图</translation>
    </message>
    <message>
        <source>traces</source>
        <translation>单元曲线</translation>
    </message>
    <message>
        <source>cell</source>
        <translation>单元结构图</translation>
    </message>
    <message>
        <source>saturation</source>
        <translation>饱和度</translation>
    </message>
    <message>
        <source>memory</source>
        <translation>随时间的记忆</translation>
    </message>
    <message>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message>
        <source>Intervened: </source>
        <translation>已干预：</translation>
    </message>
    <message>
        <source>; </source>
        <translation>；</translation>
    </message>
    <message>
        <source>training step {step}/{total}</source>
        <translation>训练第 {step}/{total} 步</translation>
    </message>
    <message>
        <source>training step {step}</source>
        <translation>训练第 {step} 步</translation>
    </message>
    <message>
        <source>epoch {epoch}</source>
        <translation>第 {epoch} 轮</translation>
    </message>
    <message>
        <source>loss {loss}</source>
        <translation>损失 {loss}</translation>
    </message>
    <message>
        <source>{metric} not yet measured</source>
        <translation>{metric} 尚未测量</translation>
    </message>
    <message>
        <source> (at step {step})</source>
        <translation>（第 {step} 训练步时）</translation>
    </message>
    <message>
        <source>{dtype} weights</source>
        <translation>{dtype} 权重</translation>
    </message>
</context>
<context>
    <name>Heatmaps</name>
    <message>
        <source>Units × time for every gate and state of the chosen layer and direction. Click a row to pin that unit; hover for its value.</source>
        <translation>所选层和方向的每个门和状态，以单元 × 时间显示。单击某一行可固定该单元；悬停可查看数值。</translation>
    </message>
    <message>
        <source>Δ (intervened − original)</source>
        <translation>Δ（干预后 − 原始）</translation>
    </message>
    <message>
        <source>0 = unchanged</source>
        <translation>0 = 未改变</translation>
    </message>
    <message>
        <source>   (this unit&apos;s max |c| is {m})</source>
        <translation>   （该单元的最大 |c| 为 {m}）</translation>
    </message>
    <message>
        <source>Δ = {d} (intervened − original)</source>
        <translation>Δ = {d}（干预后 − 原始）</translation>
    </message>
    <message>
        <source>unit {unit}, step {step}: {value}{scale}   (click to pin)</source>
        <translation>单元 {unit}，第 {step} 步：{value}{scale}   （单击以固定）</translation>
    </message>
</context>
<context>
    <name>IO</name>
    <message>
        <source>What goes into the network and what comes out, step by step.</source>
        <translation>逐步显示网络的输入和输出。</translation>
    </message>
    <message>
        <source>(task view unavailable: {error})</source>
        <translation>（任务视图不可用：{error}）</translation>
    </message>
    <message>
        <source>the model&apos;s output is NaN from step {step}: its predictions there mean nothing</source>
        <translation>模型的输出从第 {step} 步起为 NaN：此后的预测没有意义</translation>
    </message>
    <message>
        <source>▼ at t*</source>
        <translation>▼ 标出 t*</translation>
    </message>
    <message>
        <source>time →   (bit 0, the least significant, first)</source>
        <translation>时间 →   （第 0 位，即最低位，在最前）</translation>
    </message>
    <message>
        <source>a + b (true)</source>
        <translation>a + b（真实值）</translation>
    </message>
    <message>
        <source>network (intervened)</source>
        <translation>网络（干预后）</translation>
    </message>
    <message>
        <source>network&apos;s sum</source>
        <translation>网络算出的和</translation>
    </message>
    <message>
        <source>network (original)</source>
        <translation>网络（原始）</translation>
    </message>
    <message>
        <source>▲ at t*</source>
        <translation>▲ 标出 t*</translation>
    </message>
    <message>
        <source>right</source>
        <translation>正确</translation>
    </message>
    <message>
        <source>wrong</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>; the network says {sum} ({verdict}). Shading of its bits: P(bit = 1).</source>
        <translation>；网络给出 {sum}（{verdict}）。各位的深浅表示 P(位 = 1)。</translation>
    </message>
    <message>
        <source> Faint row: the original run, without the intervention.</source>
        <translation> 浅色行：未经干预的原始运行。</translation>
    </message>
    <message>
        <source>step {step}: {char}, ‖∂y/∂x‖ = {value} of its largest, y at step {target} (click to go to this step)</source>
        <translation>第 {step} 步：{char}，‖∂y/∂x‖ = 其最大值的 {value}，y 取第 {target} 步（单击跳到这一步）</translation>
    </message>
    <message>
        <source> (original: {value})</source>
        <translation>（原始：{value}）</translation>
    </message>
    <message>
        <source>step {step}: {char}, {name} = {value}{was} (click to go to this step)</source>
        <translation>第 {step} 步：{char}，{name} = {value}{was}（单击跳到这一步）</translation>
    </message>
    <message>
        <source>The colour of a character: the unit&apos;s value at that step, from −1 to +1</source>
        <translation>字符的颜色：该单元在这一步的值，从 −1 到 +1</translation>
    </message>
    <message>
        <source>; magenta: NaN</source>
        <translation>；品红色：NaN</translation>
    </message>
    <message>
        <source>the input image</source>
        <translation>输入图像</translation>
    </message>
    <message>
        <source>row t is fed at step t</source>
        <translation>第 t 行在第 t 步输入</translation>
    </message>
    <message>
        <source>row = step</source>
        <translation>行 = 步</translation>
    </message>
    <message>
        <source>class probabilities over time</source>
        <translation>各类别概率随时间的变化</translation>
    </message>
    <message>
        <source>a row per class</source>
        <translation>每个类别一行</translation>
    </message>
    <message>
        <source>class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>probabilities at this step</source>
        <translation>这一步的概率</translation>
    </message>
    <message>
        <source>filled: intervened, dashed outline: original</source>
        <translation>实心：干预后，虚线轮廓：原始</translation>
    </message>
    <message>
        <source>◀ at t*</source>
        <translation>◀ 标出 t*</translation>
    </message>
    <message>
        <source>a digit read one row per step</source>
        <translation>每步读入一行的数字图像</translation>
    </message>
    <message>
        <source>was {was} → now {now}</source>
        <translation>原为 {was} → 现为 {now}</translation>
    </message>
    <message>
        <source>{now_digit} ({now_p}; the original also {was_digit}, {was_p})</source>
        <translation>{now_digit}（{now_p}；原始运行也是 {was_digit}，{was_p}）</translation>
    </message>
    <message>
        <source>the network reads the digit row by row and says {says}</source>
        <translation>网络逐行读入数字，判断为 {says}</translation>
    </message>
    <message>
        <source>; it is a {label}</source>
        <translation>；真实数字为 {label}</translation>
    </message>
    <message>
        <source>identity</source>
        <translation>恒等</translation>
    </message>
    <message>
        <source>as an image</source>
        <translation>以图像显示</translation>
    </message>
    <message>
        <source>input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>{n} feature(s): {kind}</source>
        <translation>{n} 个特征：{kind}</translation>
    </message>
    <message>
        <source>feature</source>
        <translation>特征</translation>
    </message>
    <message>
        <source>output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>final state, {activation}</source>
        <translation>最终状态，{activation}</translation>
    </message>
    <message>
        <source>per step</source>
        <translation>每步</translation>
    </message>
    <message>
        <source>running</source>
        <translation>逐步累积</translation>
    </message>
    <message>
        <source>final</source>
        <translation>最终</translation>
    </message>
    <message>
        <source>{mode}, {activation}: {shown}</source>
        <translation>{mode}，{activation}：{shown}</translation>
    </message>
    <message>
        <source>faint dashed: the original run</source>
        <translation>浅色虚线：原始运行</translation>
    </message>
    <message>
        <source>dashed outlines: the original run</source>
        <translation>虚线轮廓：原始运行</translation>
    </message>
    <message>
        <source>{n} steps</source>
        <translation>{n} 步</translation>
    </message>
    <message>
        <source>head: linear {inputs} → {outputs}, {activation}</source>
        <translation>输出层：线性 {inputs} → {outputs}，{activation}</translation>
    </message>
    <message>
        <source>no read-out head: the last layer&apos;s h is the output</source>
        <translation>没有输出层：最后一层的 h 即为输出</translation>
    </message>
    <message>
        <source> (x_t: an embedding)</source>
        <translation>（x_t：嵌入向量）</translation>
    </message>
    <message>
        <source>shading ‖∂y/∂xₜ‖{x} for y = {y}, {mark}: which earlier inputs matter now</source>
        <translation>按 ‖∂y/∂xₜ‖{x} 着色，y = {y}，{mark}：哪些较早的输入影响现在</translation>
    </message>
    <message>
        <source>.
Each input step t is shaded by ‖∂y/∂xₜ‖, the size of the gradient of y with respect to the input at step t, relative to its largest: {peak} at step {step}.</source>
        <translation>。
每个输入步 t 按 ‖∂y/∂xₜ‖ 着色，即 y 对第 t 步输入的梯度大小，相对于其最大值：第 {step} 步的 {peak}。</translation>
    </message>
    <message>
        <source>max</source>
        <translation>最大</translation>
    </message>
    <message>
        <source>Which earlier inputs matter now: each input step shaded by ||∂y/∂x_t||, the size of the gradient of y (at step t*) with respect to the input at step t, from 0 to its largest over t</source>
        <translation>哪些较早的输入影响现在：每个输入步按 ||∂y/∂x_t|| 着色，即（第 t* 步的）y 对第 t 步输入的梯度大小，从 0 到它在所有 t 上的最大值</translation>
    </message>
    <message>
        <source>sine: next-step prediction</source>
        <translation>正弦：预测下一步</translation>
    </message>
    <message>
        <source>input window</source>
        <translation>输入窗口</translation>
    </message>
    <message>
        <source>prediction of the next value</source>
        <translation>下一个值的预测</translation>
    </message>
    <message>
        <source>rollout (fed back)</source>
        <translation>滚动预测（输出回馈）</translation>
    </message>
    <message>
        <source>truth</source>
        <translation>真实值</translation>
    </message>
    <message>
        <source>prediction (intervened)</source>
        <translation>预测（干预后）</translation>
    </message>
    <message>
        <source>rollout (intervened)</source>
        <translation>滚动预测（干预后）</translation>
    </message>
    <message>
        <source>faint: original</source>
        <translation>浅色：原始</translation>
    </message>
    <message>
        <source>after the window the model predicts {value}</source>
        <translation>窗口之后模型预测 {value}</translation>
    </message>
    <message>
        <source> (true {value})</source>
        <translation>（真实值 {value}）</translation>
    </message>
    <message>
        <source>then feeds its own output back for {n} steps</source>
        <translation>随后把自己的输出回馈 {n} 步</translation>
    </message>
    <message>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message>
        <source>inputs</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>value</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>marked (to be added)</source>
        <translation>已标记（待相加）</translation>
    </message>
    <message>
        <source>running prediction of the sum</source>
        <translation>对和的逐步预测</translation>
    </message>
    <message>
        <source>target</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>prediction</source>
        <translation>预测</translation>
    </message>
    <message>
        <source>target: the sum of the two marked values (steps {steps}) = {value}</source>
        <translation>目标：两个标记值（第 {steps} 步）之和 = {value}</translation>
    </message>
    <message>
        <source>; the network says {value}</source>
        <translation>；网络给出 {value}</translation>
    </message>
    <message>
        <source>h of unit {unit}</source>
        <translation>单元 {unit} 的 h</translation>
    </message>
    <message>
        <source>layer {layer}, {direction}</source>
        <translation>第 {layer} 层，{direction}</translation>
    </message>
    <message>
        <source>bits, −log₂ p(next)</source>
        <translation>比特，−log₂ p(下一个)</translation>
    </message>
    <message>
        <source>surprisal of the next character</source>
        <translation>下一个字符的惊奇度</translation>
    </message>
    <message>
        <source>true</source>
        <translation>真实</translation>
    </message>
    <message>
        <source>predicted, intervened (dashed)</source>
        <translation>干预后的预测（虚线）</translation>
    </message>
    <message>
        <source>original&apos;s prediction</source>
        <translation>原始运行的预测</translation>
    </message>
    <message>
        <source>predicted (dashed)</source>
        <translation>预测（虚线）</translation>
    </message>
    <message>
        <source>nesting depth</source>
        <translation>嵌套深度</translation>
    </message>
    <message>
        <source>t* underlined</source>
        <translation>t* 加下划线</translation>
    </message>
    <message>
        <source>each character coloured by h of unit {unit} (layer {layer}, {direction})</source>
        <translation>每个字符按单元 {unit} 的 h 着色（第 {layer} 层，{direction}）</translation>
    </message>
    <message>
        <source>:</source>
        <translation>：</translation>
    </message>
    <message>
        <source>steps with the right depth: {right} of {n}; </source>
        <translation>深度正确的步数：{right} / {n}；</translation>
    </message>
    <message>
        <source>mean surprisal {bits} bits per character; </source>
        <translation>平均惊奇度 {bits} 比特/字符；</translation>
    </message>
    <message>
        <source>, its foot by the original run&apos;s h:</source>
        <translation>，下沿按原始运行的 h 着色：</translation>
    </message>
    <message>
        <source>intervened</source>
        <translation>干预后</translation>
    </message>
    <message>
        <source>original</source>
        <translation>原始</translation>
    </message>
    <message>
        <source>{value} (as in the original)</source>
        <translation>{value}（与原始相同）</translation>
    </message>
</context>
<context>
    <name>Memory</name>
    <message>
        <source>Which earlier inputs and states the output at t* depends on: the connectivity ||∂y/∂x_t||, the gradient norms ||∂y/∂h_t|| (and ||∂y/∂c_t||) on a log axis, ∂y/∂c_t per unit, and the forget gates&apos; product along the cell state. t* follows the time cursor.</source>
        <translation>第 t* 步的输出依赖哪些较早的输入和状态：连通度 ||∂y/∂x_t||、对数坐标上的梯度范数 ||∂y/∂h_t||（及 ||∂y/∂c_t||）、每个单元的 ∂y/∂c_t，以及沿记忆元的遗忘门连乘积。t* 跟随时间光标。</translation>
    </message>
    <message>
        <source>What y is: the model&apos;s output at the cursor (a softmax head: the log-probability of the predicted class), one output or class, or one pinned unit&apos;s hidden state</source>
        <translation>y 是什么：光标处模型的输出（softmax 输出层：预测类别的对数概率）、某一个输出或类别，或某个已固定单元的隐状态</translation>
    </message>
    <message>
        <source>step t</source>
        <translation>时间步 t</translation>
    </message>
    <message>
        <source>y: the model&apos;s output</source>
        <translation>y：模型的输出</translation>
    </message>
    <message>
        <source>y: the top layer&apos;s output</source>
        <translation>y：最上层的输出</translation>
    </message>
    <message>
        <source>output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>y: h of unit {unit} (layer {layer} {direction})</source>
        <translation>y：单元 {unit} 的 h（第 {layer} 层，{direction}）</translation>
    </message>
    <message>
        <source>gradients unavailable: {error}</source>
        <translation>梯度不可用：{error}</translation>
    </message>
    <message>
        <source>computing gradients for step {step}…</source>
        <translation>正在计算第 {step} 步的梯度…</translation>
    </message>
    <message>
        <source> (computing step {step}…)</source>
        <translation>（正在计算第 {step} 步…）</translation>
    </message>
    <message>
        <source>layer {layer} {direction}</source>
        <translation>第 {layer} 层 {direction}</translation>
    </message>
    <message>
        <source>(blue − · red +; pinned units framed)</source>
        <translation>（蓝 − · 红 +；已固定的单元加框）</translation>
    </message>
    <message>
        <source>unit {unit}</source>
        <translation>单元 {unit}</translation>
    </message>
    <message>
        <source> (carries y furthest)</source>
        <translation>（把 y 带得最远）</translation>
    </message>
    <message>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message>
        <source>∏ f&lt;sub&gt;s&lt;/sub&gt; from t to t*</source>
        <translation>∏ f&lt;sub&gt;s&lt;/sub&gt;，从 t 到 t*</translation>
    </message>
    <message>
        <source>product</source>
        <translation>连乘积</translation>
    </message>
</context>
<context>
    <name>Notation</name>
    <message>
        <source>with peepholes: + p⊙c_{t−1} inside i_t and f_t, + p⊙c_t inside o_t</source>
        <translation>带窥孔连接：i_t 和 f_t 内加 p⊙c_{t−1}，o_t 内加 p⊙c_t</translation>
    </message>
    <message>
        <source>Textbook convention (Chung et al. 2014): a high z_t writes the candidate. This z_t is 1 − the z_t of PyTorch, Keras and ONNX (their W_z, U_z, b_z negated).</source>
        <translation>教科书约定（Chung 等，2014）：z_t 大时写入候选隐状态。这里的 z_t 是 PyTorch、Keras 和 ONNX 的 1 − z_t（它们的 W_z、U_z、b_z 取负）。</translation>
    </message>
    <message>
        <source>Convention of PyTorch, Keras and ONNX (Cho et al. 2014): a high z_t keeps the old state. Textbooks call our 1−z_t their z_t (View ▸ GRU: textbook convention).</source>
        <translation>PyTorch、Keras 和 ONNX 的约定（Cho 等，2014）：z_t 大时保留旧状态。教科书把这里的 1−z_t 称为 z_t（视图 ▸ GRU：教科书约定）。</translation>
    </message>
    <message>
        <source>the plain RNN has no gates: h_t is overwritten at every step</source>
        <translation>普通 RNN 没有门：h_t 在每一步都被覆盖</translation>
    </message>
    <message>
        <source>Input gate {formula}: how much of the candidate g_t is written into the cell.</source>
        <translation>输入门 {formula}：候选记忆元 g_t 有多少写入记忆元。</translation>
    </message>
    <message>
        <source>Forget gate {formula}: how much of the old cell state c_{t−1} is kept.</source>
        <translation>遗忘门 {formula}：旧的记忆元 c_{t−1} 保留多少。</translation>
    </message>
    <message>
        <source>Cell candidate {formula}: the new content proposed for the cell.</source>
        <translation>候选记忆元 {formula}：为记忆元提出的新内容。</translation>
    </message>
    <message>
        <source>Output gate {formula}: how much of tanh(c_t) is shown as h_t.</source>
        <translation>输出门 {formula}：tanh(c_t) 有多少作为 h_t 输出。</translation>
    </message>
    <message>
        <source>Cell state {formula}: the LSTM&apos;s long-term memory, unbounded.</source>
        <translation>记忆元 {formula}：LSTM 的长期记忆，没有上下界。</translation>
    </message>
    <message>
        <source>Hidden state h_t: what the cell outputs and feeds back at the next step.</source>
        <translation>隐状态 h_t：单元的输出，并在下一步反馈回来。</translation>
    </message>
    <message>
        <source>Reset gate {formula}: how much of h_{t−1} the candidate n_t may use.</source>
        <translation>重置门 {formula}：候选隐状态 n_t 可以使用多少 h_{t−1}。</translation>
    </message>
    <message>
        <source>Update gate {formula}: a high z_t keeps the old state ({update}, the PyTorch/Keras/ONNX convention).</source>
        <translation>更新门 {formula}：z_t 大时保留旧状态（{update}，PyTorch/Keras/ONNX 的约定）。</translation>
    </message>
    <message>
        <source>Candidate {formula}: the proposed new state.</source>
        <translation>候选隐状态 {formula}：提出的新状态。</translation>
    </message>
    <message>
        <source>Update gate z_t in the textbook convention, 1 − the z_t of PyTorch/Keras/ONNX: a high z_t writes the candidate ({update}).</source>
        <translation>教科书约定下的更新门 z_t，即 PyTorch/Keras/ONNX 的 1 − z_t：z_t 大时写入候选隐状态（{update}）。</translation>
    </message>
    <message>
        <source>Reset gate {formula}: how much of h_{t−1} the candidate h̃_t may use.</source>
        <translation>重置门 {formula}：候选隐状态 h̃_t 可以使用多少 h_{t−1}。</translation>
    </message>
    <message>
        <source>Hidden state {formula}: what the LSTM outputs and feeds back at the next step.</source>
        <translation>隐状态 {formula}：LSTM 的输出，并在下一步反馈回来。</translation>
    </message>
    <message>
        <source>Hidden state {formula} (PyTorch/Keras/ONNX convention: a high z_t keeps the old state).</source>
        <translation>隐状态 {formula}（PyTorch/Keras/ONNX 的约定：z_t 大时保留旧状态）。</translation>
    </message>
    <message>
        <source>Hidden state {formula}: the plain RNN&apos;s only state.</source>
        <translation>隐状态 {formula}：普通 RNN 唯一的状态。</translation>
    </message>
    <message>
        <source>Hidden state {formula} (textbook convention: a high z_t writes the candidate; z_t is 1 − the z_t of PyTorch/Keras/ONNX).</source>
        <translation>隐状态 {formula}（教科书约定：z_t 大时写入候选隐状态；z_t 是 PyTorch/Keras/ONNX 的 1 − z_t）。</translation>
    </message>
</context>
<context>
    <name>Panels</name>
    <message>
        <source>NaN: {n} values</source>
        <translation>NaN：{n} 个值</translation>
    </message>
    <message>
        <source>NaN: {n} value</source>
        <translation>NaN：{n} 个值</translation>
    </message>
    <message>
        <source>±inf: {n} at the range&apos;s ends</source>
        <translation>±inf：{n} 个，画在范围两端</translation>
    </message>
    <message>
        <source>forward</source>
        <translation>正向</translation>
    </message>
    <message>
        <source>backward</source>
        <translation>反向</translation>
    </message>
    <message>
        <source>h of unit {unit} (layer {layer} {direction}) at step {step}</source>
        <translation>第 {step} 步单元 {unit} 的 h（第 {layer} 层，{direction}）</translation>
    </message>
    <message>
        <source>sum of layer {layer}&apos;s output at step {step} (the head reads only the final states)</source>
        <translation>第 {step} 步第 {layer} 层输出之和（输出层只读取最终状态）</translation>
    </message>
    <message>
        <source>sum of layer {layer}&apos;s output at step {step}</source>
        <translation>第 {step} 步第 {layer} 层输出之和</translation>
    </message>
    <message>
        <source>sum of the model&apos;s outputs at step {step}</source>
        <translation>第 {step} 步模型各输出之和</translation>
    </message>
    <message>
        <source>log p({name}) (predicted) at step {step}</source>
        <translation>第 {step} 步的 log p({name})（预测类别）</translation>
    </message>
    <message>
        <source>log p({name}) at step {step}</source>
        <translation>第 {step} 步的 log p({name})</translation>
    </message>
    <message>
        <source>output {name} at step {step}</source>
        <translation>第 {step} 步的输出 {name}</translation>
    </message>
    <message>
        <source> (intervened run)</source>
        <translation>（干预后的运行）</translation>
    </message>
    <message>
        <source>unbounded</source>
        <translation>无界</translation>
    </message>
    <message>
        <source>each unit ÷ its max |c|</source>
        <translation>每个单元 ÷ 其最大 |c|</translation>
    </message>
    <message>
        <source>encoder │ decoder</source>
        <translation>编码器 │ 解码器</translation>
    </message>
    <message>
        <source>unit</source>
        <translation>单元</translation>
    </message>
    <message>
        <source>step</source>
        <translation>时间步</translation>
    </message>
    <message>
        <source>masked step: state carried over</source>
        <translation>已掩蔽的步：状态沿用上一步</translation>
    </message>
</context>
<context>
    <name>Quantity</name>
    <message>
        <source>input gate</source>
        <translation>输入门</translation>
    </message>
    <message>
        <source>forget gate</source>
        <translation>遗忘门</translation>
    </message>
    <message>
        <source>cell candidate</source>
        <translation>候选记忆元</translation>
    </message>
    <message>
        <source>output gate</source>
        <translation>输出门</translation>
    </message>
    <message>
        <source>reset gate</source>
        <translation>重置门</translation>
    </message>
    <message>
        <source>update gate</source>
        <translation>更新门</translation>
    </message>
    <message>
        <source>candidate</source>
        <translation>候选隐状态</translation>
    </message>
    <message>
        <source>cell state</source>
        <translation>记忆元</translation>
    </message>
    <message>
        <source>hidden state</source>
        <translation>隐状态</translation>
    </message>
    <message>
        <source>update gate (textbook: 1 − z of PyTorch)</source>
        <translation>更新门（教科书约定：PyTorch 的 1 − z）</translation>
    </message>
</context>
<context>
    <name>Saturation</name>
    <message>
        <source>(fractions of the steps)</source>
        <translation>（占各步的比例）</translation>
    </message>
    <message>
        <source>right-saturated (&amp;gt; {v})</source>
        <translation>右饱和（&amp;gt; {v}）</translation>
    </message>
    <message>
        <source>left-saturated (&amp;lt; {v})</source>
        <translation>左饱和（&amp;lt; {v}）</translation>
    </message>
    <message>
        <source>Karpathy&apos;s saturation scatter: for each unit, how often a sigmoid gate is fully open (&gt; 0.9, x) or fully closed (&lt; 0.1, y) over the sequence, coloured by layer.</source>
        <translation>Karpathy 的门饱和度散点图：对每个单元，统计整个序列中 sigmoid 门完全打开（&gt; 0.9，x）或完全关闭（&lt; 0.1，y）的频率，按层着色。</translation>
    </message>
    <message>
        <source>tanh state</source>
        <translation>tanh 状态</translation>
    </message>
    <message>
        <source>Gate</source>
        <translation>门</translation>
    </message>
    <message>
        <source>Tanh state</source>
        <translation>tanh 状态</translation>
    </message>
    <message>
        <source>{what} {symbol}: a point per unit; x = fraction of steps with {x}, y = fraction with {y}.</source>
        <translation>{what} {symbol}：每个单元一个点；x = {x} 的步所占比例，y = {y} 的步所占比例。</translation>
    </message>
    <message>
        <source>layer {layer}, unit {unit}: {x_test} {x} / {y_test} {y} of the steps</source>
        <translation>第 {layer} 层，单元 {unit}：{x_test} 占 {x} / {y_test} 占 {y}</translation>
    </message>
    <message>
        <source>layer {layer}</source>
        <translation>第 {layer} 层</translation>
    </message>
    <message>
        <source>, {n} all-NaN gates not drawn</source>
        <translation>，{n} 个全为 NaN 的门未画出</translation>
    </message>
    <message>
        <source>, {n} all-NaN gate not drawn</source>
        <translation>，{n} 个全为 NaN 的门未画出</translation>
    </message>
    <message>
        <source>NaN steps not counted</source>
        <translation>NaN 的步不计入</translation>
    </message>
    <message>
        <source>{n} masked steps not counted</source>
        <translation>{n} 个已掩蔽的步不计入</translation>
    </message>
    <message>
        <source>{n} masked step not counted</source>
        <translation>{n} 个已掩蔽的步不计入</translation>
    </message>
    <message>
        <source>gate replaced by an intervention</source>
        <translation>被干预替换的门</translation>
    </message>
    <message>
        <source>pinned (layer {layer}):</source>
        <translation>已固定（第 {layer} 层）：</translation>
    </message>
</context>
<context>
    <name>Traces</name>
    <message>
        <source>The pinned units&apos; gates and states over time, one line per unit. Click a heatmap row to pin a unit.</source>
        <translation>已固定单元的门和状态随时间的变化，每个单元一条线。单击热图的某一行可固定该单元。</translation>
    </message>
    <message>
        <source>unit {unit}</source>
        <translation>单元 {unit}</translation>
    </message>
    <message>
        <source>NaN (no line)</source>
        <translation>NaN（不画线）</translation>
    </message>
    <message>
        <source>faint dashed: the original run, without the interventions</source>
        <translation>浅色虚线：未经干预的原始运行</translation>
    </message>
    <message>
        <source>layer {layer}, {direction}</source>
        <translation>第 {layer} 层，{direction}</translation>
    </message>
    <message>
        <source>pinned:</source>
        <translation>已固定：</translation>
    </message>
</context>
</TS>
